-- 003_add_rate_limiting.sql
-- Description: per-key usage records and per-tier request quotas.
CREATE TABLE api_key_usage (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    api_key_id  TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    operation   TEXT NOT NULL,
    status      TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX idx_usage_tenant_key ON api_key_usage(tenant_id, api_key_id, created_at);

CREATE TABLE tier_limits (
    tier               TEXT PRIMARY KEY CHECK (tier IN ('free', 'premium', 'enterprise')),
    requests_per_minute INTEGER NOT NULL CHECK (requests_per_minute > 0)
);
INSERT INTO tier_limits (tier, requests_per_minute) VALUES
    ('free', 100), ('premium', 1000), ('enterprise', 10000);
