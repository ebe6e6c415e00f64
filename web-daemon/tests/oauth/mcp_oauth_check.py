#!/usr/bin/env python3
"""End-to-end check of pacer's MCP authorization with the official Python MCP SDK's OAuth client.

Against a running `pacerd demo` (scripts/oauth-check starts one):
1. `OAuthClientProvider` discovers everything from a bare 401 on POST /mcp (WWW-Authenticate →
   protected resource metadata → authorization server metadata), registers (DCR), sends the
   person to /oauth/authorize: the redirect handler drives pacer's sign-in and consent forms over
   HTTP like a browser (cookies kept) and hands the code back; the SDK exchanges it and calls
   tools with no API key.
2. A refresh (the SDK refreshes an expired token; the refresh token rotates).
3. A revocation (RFC 7009): the refresh token ends the grant; its access token gets 401
   `invalid_token`, the refresh token `invalid_grant`.
4. Refusals, each with the right error: the replayed code, a wrong PKCE verifier, a redirect URI
   the client did not register, a token request for another resource.

Env: PACER_URL (http://127.0.0.1:PORT), PACER_EMAIL, PACER_PASSWORD. Exits non-zero on any failure.
"""
import asyncio
import base64
import hashlib
import os
import secrets
import sys
import time
from urllib.parse import parse_qs, urlparse

import httpx2
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

REDIRECT = "http://127.0.0.1:53682/callback"
FAILURES: list[str] = []


def check(ok: bool, what: str) -> None:
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        FAILURES.append(what)


class MemoryStorage:
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class Browser:
    """Plays the person at the authorize page: signs in, allows, and catches the redirect."""

    def __init__(self, email: str, password: str) -> None:
        self.email, self.password = email, password
        self.result: AuthorizationCodeResult | None = None
        self.codes: list[str] = []

    async def authorize(self, url: str) -> AuthorizationCodeResult:
        async with httpx2.AsyncClient(follow_redirects=False, timeout=30) as web:
            page = await web.get(url)
            if page.status_code != 200 or "Sign in" not in page.text:
                raise RuntimeError(f"authorize page: {page.status_code} {page.text[:300]}")
            request = web.cookies.get("pacer_authz")
            form = {"request": request, "action": "sign_in", "email": self.email, "password": self.password}
            consent = await web.post(f"{origin(url)}/oauth/authorize", data=form)
            if consent.status_code != 200 or "activities:read" not in consent.text:
                raise RuntimeError(f"consent page: {consent.status_code} {consent.text[:300]}")
            decided = await web.post(f"{origin(url)}/oauth/authorize", data={"request": request, "action": "allow"})
            location = decided.headers.get("location", "")
            if decided.status_code != 302 or not location.startswith(REDIRECT):
                raise RuntimeError(f"consent answer: {decided.status_code} {location}")
        q = {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
        self.codes.append(q["code"])
        return AuthorizationCodeResult(code=q["code"], state=q.get("state"), iss=q.get("iss"))

    async def redirect_handler(self, url: str) -> None:
        self.result = await self.authorize(url)

    async def callback_handler(self) -> AuthorizationCodeResult:
        assert self.result is not None
        return self.result


def origin(url: str) -> str:
    u = urlparse(url)
    return f"{u.scheme}://{u.netloc}"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


async def sdk_session(provider: OAuthClientProvider, mcp_url: str, tool: str) -> str:
    """Connects with the SDK, lists tools and calls one; returns the text of the result."""
    async with httpx2.AsyncClient(auth=provider, timeout=60) as http:
        async with streamable_http_client(mcp_url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = await session.list_tools()
                check(any(t.name == "get_activities" for t in tools.tools), "tools/list over OAuth lists get_activities")
                result = await session.call_tool(tool, {"limit": 3} if tool == "get_activities" else {})
                return " ".join(getattr(c, "text", "") for c in result.content)


async def main() -> int:
    base = os.environ["PACER_URL"].rstrip("/")
    email, password = os.environ["PACER_EMAIL"], os.environ["PACER_PASSWORD"]
    mcp_url = f"{base}/mcp"

    async with httpx2.AsyncClient(timeout=30) as raw:
        bare = await raw.post(mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                              headers={"Accept": "application/json, text/event-stream"})
        challenge = bare.headers.get("www-authenticate", "")
        check(bare.status_code == 401 and f'resource_metadata="{base}/.well-known/oauth-protected-resource/mcp"' in challenge,
              f"bare POST /mcp: 401 with {challenge!r}")

    browser = Browser(email, password)
    storage = MemoryStorage()
    provider = OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=OAuthClientMetadata(
            client_name="pacer oauth-check", redirect_uris=[REDIRECT], token_endpoint_auth_method="none",
            grant_types=["authorization_code", "refresh_token"], response_types=["code"],
        ),
        storage=storage,
        redirect_handler=browser.redirect_handler,
        callback_handler=browser.callback_handler,
    )
    text = await sdk_session(provider, mcp_url, "get_activities")
    check(storage.client is not None and storage.client.client_id.startswith("pacer_client_"), "registered by DCR")
    check(storage.tokens is not None and storage.tokens.access_token.startswith("pacer_at_"), "token from the authorization code")
    check(storage.tokens is not None and "activities:write" in (storage.tokens.scope or ""), "scopes from the metadata granted")
    check(bool(text), f"tools/call get_activities with no API key: {text[:80]!r}")
    assert storage.tokens is not None and storage.client is not None
    client_id = storage.client.client_id

    # Refresh: expire the token locally; the SDK refreshes before the next request.
    old = storage.tokens
    provider.context.token_expiry_time = time.time() - 1
    text = await sdk_session(provider, mcp_url, "get_connection_status")
    new = storage.tokens
    check(new.refresh_token != old.refresh_token and new.access_token != old.access_token, "refresh rotated both tokens")
    check("connected" in text, "tools/call after the refresh")

    async with httpx2.AsyncClient(timeout=30) as raw:
        async def token(data: dict) -> httpx2.Response:
            return await raw.post(f"{base}/oauth/token", data=data)

        reuse = await token({"grant_type": "refresh_token", "refresh_token": old.refresh_token, "client_id": client_id,
                             "resource": mcp_url})
        check(reuse.status_code == 400 and reuse.json().get("error") == "invalid_grant", "an old refresh token is refused")
        # Reuse revoked the family: authorize again for the rest.
        verifier, code_challenge = pkce()
        params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "state": "s1",
                  "scope": "activities:read", "code_challenge": code_challenge, "code_challenge_method": "S256",
                  "resource": mcp_url}
        auth_url = str(httpx2.URL(f"{base}/oauth/authorize", params=params))
        result = await browser.authorize(auth_url)
        check(result.iss == base and result.state == "s1", "authorization response carries state and iss")
        wrong = await token({"grant_type": "authorization_code", "code": result.code, "redirect_uri": REDIRECT,
                             "code_verifier": pkce()[0], "client_id": client_id, "resource": mcp_url})
        check(wrong.status_code == 400 and wrong.json().get("error") == "invalid_grant", "a wrong code_verifier is refused")
        replay = await token({"grant_type": "authorization_code", "code": browser.codes[0], "redirect_uri": REDIRECT,
                              "code_verifier": verifier, "client_id": client_id, "resource": mcp_url})
        check(replay.status_code == 400 and replay.json().get("error") == "invalid_grant", "the replayed first code is refused")

        result = await browser.authorize(str(httpx2.URL(f"{base}/oauth/authorize", params={**params, "state": "s2"})))
        other = await token({"grant_type": "authorization_code", "code": result.code, "redirect_uri": REDIRECT,
                             "code_verifier": verifier, "client_id": client_id, "resource": "https://other.example/mcp"})
        check(other.status_code == 400 and other.json().get("error") == "invalid_target", "a token for another resource is refused")

        bad_redirect = await raw.get(f"{base}/oauth/authorize",
                                     params={**params, "redirect_uri": "http://127.0.0.1:53682/elsewhere"})
        check(bad_redirect.status_code == 400 and "location" not in bad_redirect.headers,
              "an unregistered redirect URI is refused without a redirect")
        result = await browser.authorize(str(httpx2.URL(f"{base}/oauth/authorize", params={**params, "state": "s3"})))
        mismatch = await token({"grant_type": "authorization_code", "code": result.code,
                                "redirect_uri": "http://127.0.0.1:53682/elsewhere", "code_verifier": verifier,
                                "client_id": client_id, "resource": mcp_url})
        check(mismatch.status_code == 400 and mismatch.json().get("error") == "invalid_grant",
              "a redirect_uri differing from the authorization request is refused")

        # A fresh grant, then revocation of its refresh token.
        result = await browser.authorize(str(httpx2.URL(f"{base}/oauth/authorize", params={**params, "state": "s4"})))
        fresh = await token({"grant_type": "authorization_code", "code": result.code, "redirect_uri": REDIRECT,
                             "code_verifier": verifier, "client_id": client_id, "resource": mcp_url})
        check(fresh.status_code == 200, f"code exchange: {fresh.status_code}")
        tokens = fresh.json()
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "get_connection_status", "arguments": {}}}
        headers = {"Accept": "application/json, text/event-stream", "Authorization": f"Bearer {tokens['access_token']}"}
        before = await raw.post(mcp_url, json=call, headers=headers)
        check(before.status_code == 200, "tools/call with the fresh access token")
        revoked = await raw.post(f"{base}/oauth/revoke", data={"token": tokens["refresh_token"], "client_id": client_id})
        check(revoked.status_code == 200, "revocation answered 200")
        after = await raw.post(mcp_url, json=call, headers=headers)
        check(after.status_code == 401 and 'error="invalid_token"' in after.headers.get("www-authenticate", ""),
              "the revoked grant's access token gets 401 invalid_token")
        dead = await token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": client_id,
                            "resource": mcp_url})
        check(dead.status_code == 400 and dead.json().get("error") == "invalid_grant", "the revoked refresh token is refused")

    print(f"oauth-check: {'FAILED: ' + ', '.join(FAILURES) if FAILURES else 'all checks passed'}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
