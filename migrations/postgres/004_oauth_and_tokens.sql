-- 004_oauth_and_tokens.sql (PostgreSQL twin of migrations/sqlite/004_oauth_and_tokens.sql)
-- Description: OAuth connect states, encrypted provider tokens, per-tenant OAuth apps,
-- one-time login links.
CREATE TABLE oauth_states (
    state_hash    BYTEA PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider      TEXT NOT NULL,
    pkce_verifier TEXT,
    redirect_uri  TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX idx_oauth_states_expiry ON oauth_states(expires_at);

-- access and refresh tokens live only inside `ciphertext` (XChaCha20-Poly1305,
-- AAD = tenant_id|user_id|provider).
CREATE TABLE provider_tokens (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider   TEXT NOT NULL,
    nonce      BYTEA NOT NULL,
    ciphertext BYTEA NOT NULL,
    expires_at BIGINT NOT NULL,
    athlete_id BIGINT,
    scopes     TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, provider)
);

CREATE TABLE tenant_oauth_apps (
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    provider      TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    secret_nonce  BYTEA NOT NULL,
    secret_cipher BYTEA NOT NULL,
    redirect_uri  TEXT,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, provider)
);

CREATE TABLE login_links (
    token_hash BYTEA PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
