ALTER TABLE oauth_states DROP COLUMN browser_binding;
