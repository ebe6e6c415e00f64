-- PostgreSQL drops a column together with its foreign key: no table rebuild (unlike SQLite).
DROP INDEX idx_api_keys_tenant_user;
DROP INDEX idx_users_tenant;
ALTER TABLE api_keys DROP COLUMN tenant_id;
ALTER TABLE users DROP COLUMN tenant_id;
DROP TABLE tenants;
