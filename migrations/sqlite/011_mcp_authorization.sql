-- 011_mcp_authorization.sql
-- Description: pacerd as the OAuth 2.1 authorization server of its MCP endpoint (the MCP
-- authorization profile). Clients come from Dynamic Client Registration (RFC 7591) or from a
-- Client ID Metadata Document (the client id is an https URL; the fetched document is cached
-- here). Codes and tokens are looked up by a prefix of their random part and compared by
-- SHA-256 in constant time, like API keys. A grant is one person's consent for one client:
-- its tokens form one refresh family, revoked together.
CREATE TABLE oauth_clients (
    id                         TEXT PRIMARY KEY,
    kind                       TEXT NOT NULL CHECK (kind IN ('registered', 'metadata_document')),
    client_name                TEXT NOT NULL,
    client_uri                 TEXT,
    redirect_uris              TEXT NOT NULL,
    token_endpoint_auth_method TEXT NOT NULL
        CHECK (token_endpoint_auth_method IN ('none', 'client_secret_post', 'client_secret_basic')),
    secret_hash                BLOB,
    created_at                 TEXT NOT NULL,
    fetched_at                 INTEGER
);

CREATE TABLE oauth_grants (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id    TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    scopes       TEXT NOT NULL,
    resource     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX idx_oauth_grants_user ON oauth_grants(tenant_id, user_id);

CREATE TABLE oauth_codes (
    code_prefix    TEXT PRIMARY KEY,
    code_hash      BLOB NOT NULL,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id      TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    scopes         TEXT NOT NULL,
    resource       TEXT NOT NULL,
    expires_at     INTEGER NOT NULL,
    -- 1 once presented at the token endpoint (whatever the outcome): codes work once.
    used           INTEGER NOT NULL DEFAULT 0,
    -- The grant a successful redemption created: presenting the code again revokes it.
    grant_id       TEXT REFERENCES oauth_grants(id) ON DELETE CASCADE
);

CREATE TABLE oauth_tokens (
    token_prefix TEXT PRIMARY KEY,
    token_hash BLOB NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    grant_id   TEXT NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    expires_at INTEGER NOT NULL,
    -- Refresh tokens: when it was exchanged (rotated). Presenting it again revokes the grant.
    used_at    INTEGER
);
CREATE INDEX idx_oauth_tokens_grant ON oauth_tokens(grant_id);

-- Usage of OAuth-authorized MCP calls, like api_key_usage for keys.
CREATE TABLE oauth_grant_usage (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    grant_id    TEXT NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    operation   TEXT NOT NULL,
    status      TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX idx_oauth_usage_grant ON oauth_grant_usage(tenant_id, grant_id, created_at);
