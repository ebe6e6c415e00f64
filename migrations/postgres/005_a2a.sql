-- 005_a2a.sql (PostgreSQL twin of migrations/sqlite/005_a2a.sql)
-- Description: the A2A agent registry. Agents are registered per tenant (agent_id unique within
-- a tenant) by one of its users; capabilities are a separate table so discovery is an index
-- lookup.
CREATE TABLE a2a_agents (
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    agent_id      TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    description   TEXT,
    version       TEXT NOT NULL,
    -- the registration's whole `metadata` object, as JSON (TEXT as on SQLite: read back verbatim)
    metadata      TEXT NOT NULL DEFAULT '{}',
    -- JSON array of endpoint strings
    endpoints     TEXT NOT NULL DEFAULT '[]',
    -- JSON object
    schemas       TEXT NOT NULL DEFAULT '{}',
    registered_at TEXT NOT NULL,
    -- SQLite's implicit rowid, made explicit: discovery lists agents in registration order.
    rowid         BIGINT GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (tenant_id, agent_id)
);

CREATE TABLE a2a_agent_capabilities (
    tenant_id  TEXT NOT NULL,
    agent_id   TEXT NOT NULL,
    capability TEXT NOT NULL,
    PRIMARY KEY (tenant_id, agent_id, capability),
    FOREIGN KEY (tenant_id, agent_id) REFERENCES a2a_agents(tenant_id, agent_id) ON DELETE CASCADE
);
CREATE INDEX idx_a2a_capabilities_lookup ON a2a_agent_capabilities(tenant_id, capability);
