DROP TABLE tier_limits;
DROP INDEX idx_usage_tenant_key;
DROP TABLE api_key_usage;
