DROP INDEX idx_a2a_capabilities_lookup;
DROP TABLE a2a_agent_capabilities;
DROP TABLE a2a_agents;
