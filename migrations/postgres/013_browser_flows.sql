-- 013_browser_flows.sql (PostgreSQL twin of migrations/sqlite/013_browser_flows.sql)
-- Description: the two browser flows that wait for a person, in the store so that every replica
-- can finish them: MCP authorization requests awaiting sign-in and consent, and connect links
-- awaiting their pacer account's confirmation. Rows are keyed by the SHA-256 of their one-time
-- token (never the token), expire at `expires_at` (epoch seconds) and are bounded in count by the
-- inserting transaction (`store::pending_flows`). A confirmation's provider authorization code is
-- sealed (XChaCha20-Poly1305, AAD = tenant_id|confirm:user_id|provider), never plaintext.
CREATE TABLE pending_authorizations (
    token_hash     BYTEA NOT NULL PRIMARY KEY,
    client_id      TEXT    NOT NULL,
    client_name    TEXT    NOT NULL,
    redirect_uri   TEXT    NOT NULL,
    state          TEXT,
    code_challenge TEXT    NOT NULL,
    scopes         TEXT    NOT NULL,
    resource       TEXT    NOT NULL,
    created_at     BIGINT  NOT NULL,
    expires_at     BIGINT  NOT NULL
);
CREATE INDEX idx_pending_authorizations_expiry ON pending_authorizations(expires_at);

CREATE TABLE pending_confirmations (
    token_hash      BYTEA NOT NULL PRIMARY KEY,
    tenant_id       TEXT    NOT NULL REFERENCES tenants(id),
    user_id         TEXT    NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider        TEXT    NOT NULL,
    code_nonce      BYTEA   NOT NULL,
    code_ciphertext BYTEA   NOT NULL,
    scope           TEXT,
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL
);
CREATE INDEX idx_pending_confirmations_expiry ON pending_confirmations(expires_at);
CREATE INDEX idx_pending_confirmations_owner ON pending_confirmations(tenant_id, user_id);
