-- 012_a2a_tasks_down.sql
DROP TABLE a2a_tasks;
