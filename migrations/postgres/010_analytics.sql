-- 010_analytics.sql (PostgreSQL twin of migrations/sqlite/010_analytics.sql)
-- Description: what analysis needs per activity, computed once at import from the full-resolution
-- streams: normalized power, and best efforts (fastest time over standard distances, best
-- average power over standard durations) for personal records.
ALTER TABLE activities ADD COLUMN normalized_watts DOUBLE PRECISION;

CREATE TABLE activity_efforts (
    tenant_id   TEXT             NOT NULL,
    user_id     TEXT             NOT NULL,
    activity_id BIGINT           NOT NULL,
    -- `time_1k`, `time_5k`, … (seconds) or `power_5min`, … (watts)
    effort      TEXT             NOT NULL,
    value       DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (tenant_id, user_id, activity_id, effort),
    FOREIGN KEY (tenant_id, user_id, activity_id) REFERENCES activities(tenant_id, user_id, id) ON DELETE CASCADE
);
CREATE INDEX idx_activity_efforts_best ON activity_efforts(tenant_id, user_id, effort, value);
