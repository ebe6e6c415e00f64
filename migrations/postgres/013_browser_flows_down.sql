-- 013_browser_flows_down.sql
DROP TABLE pending_confirmations;
DROP TABLE pending_authorizations;
