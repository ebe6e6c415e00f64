-- 007_activity_store.sql (PostgreSQL twin of migrations/sqlite/007_activity_store.sql)
-- Description: the local activity store: a person's activities, laps and (downsampled,
-- compressed) streams from imported files and from the provider API cache; per-user athlete
-- settings; the windows of the API already cached. Every row is scoped by tenant and user, and
-- deleting a user deletes their data.
CREATE TABLE activities (
    tenant_id              TEXT    NOT NULL REFERENCES tenants(id),
    user_id                TEXT    NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The activity id tools use: the provider's id for API rows and for files whose bulk export
    -- names it; otherwise derived from the file's content hash (>= 2^50).
    id                     BIGINT NOT NULL,
    -- 'strava' (the provider API; expires) or 'file' (imported; never expires).
    source                 TEXT    NOT NULL,
    -- The source's own id: the provider's activity id, or the file's name.
    source_id              TEXT    NOT NULL,
    -- SHA-256 of the file bytes as imported (files only).
    content_hash           BYTEA,
    name                   TEXT    NOT NULL,
    sport_type             TEXT    NOT NULL,
    description            TEXT,
    start_epoch_s          BIGINT NOT NULL,
    -- Local time = start + utc_offset_s; where the offset came from: 'file', 'coordinates',
    -- 'athlete_setting', 'provider' or 'utc' (nothing known).
    utc_offset_s           BIGINT NOT NULL DEFAULT 0,
    time_zone              TEXT,
    time_zone_source       TEXT    NOT NULL DEFAULT 'utc',
    distance_m             DOUBLE PRECISION NOT NULL DEFAULT 0,
    moving_time_s          BIGINT NOT NULL DEFAULT 0,
    elapsed_time_s         BIGINT NOT NULL DEFAULT 0,
    total_elevation_gain_m DOUBLE PRECISION NOT NULL DEFAULT 0,
    average_speed_mps      DOUBLE PRECISION NOT NULL DEFAULT 0,
    max_speed_mps          DOUBLE PRECISION NOT NULL DEFAULT 0,
    average_heartrate_bpm  DOUBLE PRECISION,
    max_heartrate_bpm      DOUBLE PRECISION,
    average_cadence_rpm    DOUBLE PRECISION,
    average_watts          DOUBLE PRECISION,
    max_watts              DOUBLE PRECISION,
    kilojoules             DOUBLE PRECISION,
    calories_kcal          DOUBLE PRECISION,
    trainer                BOOLEAN NOT NULL DEFAULT FALSE,
    commute                BOOLEAN NOT NULL DEFAULT FALSE,
    manual                 BOOLEAN NOT NULL DEFAULT FALSE,
    device_name            TEXT,
    gear_id                TEXT,
    external_id            TEXT,
    start_lat_deg          DOUBLE PRECISION,
    start_lng_deg          DOUBLE PRECISION,
    -- API rows: whether the detail view (description, device, calories) was fetched.
    has_detail             BOOLEAN NOT NULL DEFAULT FALSE,
    fetched_at             BIGINT NOT NULL,
    -- API rows: fetched_at + retention; NULL for files.
    expires_at             BIGINT,
    PRIMARY KEY (tenant_id, user_id, id)
);
CREATE UNIQUE INDEX idx_activities_source ON activities(tenant_id, user_id, source, source_id);
CREATE UNIQUE INDEX idx_activities_content ON activities(tenant_id, user_id, content_hash)
    WHERE content_hash IS NOT NULL;
CREATE INDEX idx_activities_start ON activities(tenant_id, user_id, start_epoch_s);
CREATE INDEX idx_activities_sport_start ON activities(tenant_id, user_id, sport_type, start_epoch_s);
CREATE INDEX idx_activities_expiry ON activities(expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE activity_laps (
    tenant_id             TEXT    NOT NULL,
    user_id               TEXT    NOT NULL,
    activity_id           BIGINT NOT NULL,
    lap_index             BIGINT NOT NULL,
    start_epoch_s         BIGINT NOT NULL,
    elapsed_time_s        BIGINT NOT NULL,
    moving_time_s         BIGINT NOT NULL,
    distance_m            DOUBLE PRECISION NOT NULL,
    average_heartrate_bpm DOUBLE PRECISION,
    average_watts         DOUBLE PRECISION,
    PRIMARY KEY (tenant_id, user_id, activity_id, lap_index),
    FOREIGN KEY (tenant_id, user_id, activity_id) REFERENCES activities(tenant_id, user_id, id) ON DELETE CASCADE
);

-- Streams as gzip-compressed JSON ({"time": [...], "heartrate": [...], ...}), downsampled to at
-- most 2 000 points with largest-triangle-three-buckets; original_points is the recorded count.
CREATE TABLE activity_streams (
    tenant_id       TEXT    NOT NULL,
    user_id         TEXT    NOT NULL,
    activity_id     BIGINT NOT NULL,
    original_points BIGINT NOT NULL,
    stored_points   BIGINT NOT NULL,
    stream_keys     TEXT    NOT NULL,
    data_gzip       BYTEA   NOT NULL,
    PRIMARY KEY (tenant_id, user_id, activity_id),
    FOREIGN KEY (tenant_id, user_id, activity_id) REFERENCES activities(tenant_id, user_id, id) ON DELETE CASCADE
);

-- Time windows of a provider's activity list already copied into the store (until expires_at).
CREATE TABLE api_cache_windows (
    tenant_id     TEXT    NOT NULL REFERENCES tenants(id),
    user_id       TEXT    NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider      TEXT    NOT NULL,
    after_epoch_s  BIGINT NOT NULL,
    before_epoch_s BIGINT NOT NULL,
    fetched_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX idx_api_cache_windows_owner ON api_cache_windows(tenant_id, user_id, provider, expires_at);

-- Per-user athlete settings (time zone for dates; FTP and heart rates for training load).
CREATE TABLE athlete_settings (
    tenant_id                TEXT    NOT NULL REFERENCES tenants(id),
    user_id                  TEXT    NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    time_zone                TEXT,
    ftp_watts                DOUBLE PRECISION,
    resting_heartrate_bpm    DOUBLE PRECISION,
    max_heartrate_bpm        DOUBLE PRECISION,
    threshold_pace_s_per_km  DOUBLE PRECISION,
    updated_at               TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
