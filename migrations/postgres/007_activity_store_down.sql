-- 007_activity_store_down.sql
DROP TABLE athlete_settings;
DROP TABLE api_cache_windows;
DROP TABLE activity_streams;
DROP TABLE activity_laps;
DROP TABLE activities;
