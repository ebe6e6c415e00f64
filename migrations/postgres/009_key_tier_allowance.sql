-- 009_key_tier_allowance.sql (PostgreSQL twin of migrations/sqlite/009_key_tier_allowance.sql)
-- Description: each user's key-tier allowance. A user creates keys up to `max_tier` through the
-- HTTP API; only the admin channel (`pacerd users set-tier`, `pacerd keys create`) goes above it.
-- Existing users start at 'free'; keys they already hold keep their tier.
ALTER TABLE users ADD COLUMN max_tier TEXT NOT NULL DEFAULT 'free'
    CHECK (max_tier IN ('free', 'premium', 'enterprise'));
