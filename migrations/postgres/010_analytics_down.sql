-- 010_analytics_down.sql
DROP TABLE activity_efforts;
ALTER TABLE activities DROP COLUMN normalized_watts;
