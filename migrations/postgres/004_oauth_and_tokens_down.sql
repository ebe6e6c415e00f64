DROP TABLE login_links;
DROP TABLE tenant_oauth_apps;
DROP TABLE provider_tokens;
DROP INDEX idx_oauth_states_expiry;
DROP TABLE oauth_states;
