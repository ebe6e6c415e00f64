-- 009_key_tier_allowance_down.sql
ALTER TABLE users DROP COLUMN max_tier;
