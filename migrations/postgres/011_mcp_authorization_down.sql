-- 011_mcp_authorization_down.sql
DROP TABLE oauth_grant_usage;
DROP TABLE oauth_tokens;
DROP TABLE oauth_codes;
DROP TABLE oauth_grants;
DROP TABLE oauth_clients;
