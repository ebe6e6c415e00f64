-- SQLite cannot drop a column that a foreign key uses: rebuild both tables with their
-- 001 definitions, keeping the rows.
DROP INDEX idx_api_keys_tenant_user;
DROP INDEX idx_users_tenant;

CREATE TABLE api_keys_keep AS SELECT id, user_id, name, description, tier, key_prefix, key_hash,
    created_at, last_used_at, is_active FROM api_keys;
CREATE TABLE users_keep AS SELECT id, email, password_hash, created_at FROM users;
DROP TABLE api_keys;
DROP TABLE users;

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    created_at    TEXT NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT,
    tier         TEXT NOT NULL CHECK (tier IN ('free', 'premium', 'enterprise')),
    key_prefix   TEXT NOT NULL,
    key_hash     BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    is_active    INTEGER NOT NULL DEFAULT 1
);

INSERT INTO users SELECT * FROM users_keep;
INSERT INTO api_keys SELECT * FROM api_keys_keep;
DROP TABLE users_keep;
DROP TABLE api_keys_keep;
CREATE INDEX idx_api_keys_prefix ON api_keys(key_prefix);
CREATE INDEX idx_api_keys_user ON api_keys(user_id);

DROP TABLE tenants;
