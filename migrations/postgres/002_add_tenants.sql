-- 002_add_tenants.sql (PostgreSQL twin of migrations/sqlite/002_add_tenants.sql)
-- Description: multi-tenant support; every user and key belongs to one tenant.
CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

ALTER TABLE users ADD COLUMN tenant_id TEXT REFERENCES tenants(id);
ALTER TABLE api_keys ADD COLUMN tenant_id TEXT REFERENCES tenants(id);

-- Rows that predate tenants move into the default tenant.
INSERT INTO tenants (id, name, created_at)
    SELECT 'default', 'default', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    WHERE EXISTS (SELECT 1 FROM users);
UPDATE users SET tenant_id = 'default' WHERE tenant_id IS NULL;
UPDATE api_keys SET tenant_id = (SELECT u.tenant_id FROM users u WHERE u.id = api_keys.user_id)
    WHERE tenant_id IS NULL;

CREATE INDEX idx_users_tenant ON users(tenant_id);
CREATE INDEX idx_api_keys_tenant_user ON api_keys(tenant_id, user_id);
