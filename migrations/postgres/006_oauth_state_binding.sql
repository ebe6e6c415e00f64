-- 006_oauth_state_binding.sql (PostgreSQL twin of migrations/sqlite/006_oauth_state_binding.sql)
-- Description: bind OAuth states started from a browser to that browser (SHA-256 of a nonce
-- held in an HttpOnly cookie), so only that browser's callback gets a pacer session.
ALTER TABLE oauth_states ADD COLUMN browser_binding BYTEA;
