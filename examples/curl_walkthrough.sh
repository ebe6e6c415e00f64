#!/usr/bin/env bash
# A tour of pacer's HTTP API with curl against a running `pacerd demo`.
# Usage: examples/curl_walkthrough.sh [PACER_HOME]   (reads demo.json from that home)
set -euo pipefail
home="${1:-${PACER_HOME:-$HOME/.local/share/pacer}}"
facts="$home/demo.json"
url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http_url"])' "$facts")
email=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["email"])' "$facts")
password=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["password"])' "$facts")
key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api_key"])' "$facts")

echo "== health";             curl -s "$url/health"; echo
echo "== login";              jwt=$(curl -s -X POST "$url/api/auth/login" -H 'content-type: application/json' \
                                -d "{\"email\":\"$email\",\"password\":\"$password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
echo "   got a JWT (${#jwt} chars)"
echo "== create a key";       curl -s -X POST "$url/api/keys/create" -H "authorization: Bearer $jwt" \
                                -H 'content-type: application/json' -d '{"name":"curl","tier":"free"}'; echo
echo "== list keys";          curl -s "$url/api/keys/list" -H "authorization: Bearer $jwt"; echo
echo "== who am I (API key)"; curl -si "$url/api/me" -H "X-API-Key: $key" | grep -iE '^(HTTP|x-ratelimit)|tenant'
echo "== connect URL";        curl -s "$url/oauth/strava/authorize" -H "authorization: Bearer $jwt" -H 'accept: application/json'; echo
