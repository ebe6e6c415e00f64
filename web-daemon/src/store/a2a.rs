//! The A2A agent registry: `a2a_agents` and `a2a_agent_capabilities`. Every function takes the
//! caller's [`TenantId`]; an agent of another tenant is simply not there. Validation of what an
//! agent may register lives in `crate::a2a::registry`; this module only stores and reads rows.

use crate::store::{Conn, Row, SqlError, params};
use pacer_shared::{TenantId, UserId};
use serde_json::Value;

use super::{Store, StoreError};

/// One registered agent (without its tenant, which every call names separately).
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRecord {
    pub agent_id: String,
    /// The user whose API key registered it.
    pub owner: UserId,
    pub name: String,
    pub description: Option<String>,
    pub version: String,
    /// The registration's whole `metadata` object.
    pub metadata: Value,
    /// JSON array of endpoint strings.
    pub endpoints: Value,
    /// JSON object.
    pub schemas: Value,
    /// Sorted, without duplicates.
    pub capabilities: Vec<String>,
    /// RFC 3339.
    pub registered_at: String,
}

/// How many agents one user, and one tenant, may hold in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentQuota {
    pub per_user: u64,
    pub per_tenant: u64,
}

/// What [`insert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// The agent is registered.
    Yes,
    /// The owner already holds `per_user` agents (nothing changed).
    UserQuotaFull,
    /// The tenant already holds `per_tenant` agents (nothing changed).
    TenantQuotaFull,
}

/// Counts (the owner's agents, the tenant's agents).
fn counts(conn: &Conn, tenant: &TenantId, owner: &UserId) -> Result<(u64, u64), StoreError> {
    let (mine, all): (i64, i64) = conn.query_row(
        "SELECT COALESCE(SUM(CASE WHEN user_id = ?2 THEN 1 ELSE 0 END), 0), COUNT(*) FROM a2a_agents WHERE tenant_id = ?1",
        params![tenant.as_str(), owner.as_str()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((mine.max(0) as u64, all.max(0) as u64))
}

/// Inserts `agent` into `tenant` with its capabilities, within `quota`: the count and the insert
/// share one `BEGIN IMMEDIATE` transaction, so concurrent registrations cannot pass the quota.
/// An agent id that already exists in the tenant → [`StoreError::Conflict`] (nothing is changed).
pub fn insert(conn: &Conn, tenant: &TenantId, agent: &AgentRecord, quota: AgentQuota) -> Result<Inserted, StoreError> {
    let tx = conn.transaction_immediate()?;
    let (mine, all) = counts(&tx, tenant, &agent.owner)?;
    if mine >= quota.per_user {
        return Ok(Inserted::UserQuotaFull);
    }
    if all >= quota.per_tenant {
        return Ok(Inserted::TenantQuotaFull);
    }
    let inserted = tx.execute(
        "INSERT INTO a2a_agents (tenant_id, agent_id, user_id, name, description, version, metadata, endpoints, schemas, registered_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (tenant_id, agent_id) DO NOTHING",
        params![
            tenant.as_str(),
            agent.agent_id,
            agent.owner.as_str(),
            agent.name,
            agent.description,
            agent.version,
            agent.metadata.to_string(),
            agent.endpoints.to_string(),
            agent.schemas.to_string(),
            agent.registered_at
        ],
    )?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!("agent '{}' is already registered", agent.agent_id)));
    }
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO a2a_agent_capabilities (tenant_id, agent_id, capability) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )?;
        for capability in &agent.capabilities {
            stmt.execute(params![tenant.as_str(), agent.agent_id, capability])?;
        }
    }
    tx.commit()?;
    Ok(Inserted::Yes)
}

const SELECT: &str = "SELECT a.agent_id, a.user_id, a.name, a.description, a.version, a.metadata, a.endpoints,
            a.schemas, a.registered_at, c.capability
     FROM a2a_agents a
     LEFT JOIN a2a_agent_capabilities c ON c.tenant_id = a.tenant_id AND c.agent_id = a.agent_id";

fn json_column(r: &Row<'_>, idx: usize) -> crate::store::sql::Result<Value> {
    let text: String = r.get(idx)?;
    serde_json::from_str(&text).map_err(|e| SqlError::conversion(idx, e))
}

/// One `SELECT` row: an agent with one of its capabilities (or none).
fn agent_row(r: &Row<'_>) -> crate::store::sql::Result<(AgentRecord, Option<String>)> {
    let record = AgentRecord {
        agent_id: r.get(0)?,
        owner: UserId::new(r.get::<String>(1)?),
        name: r.get(2)?,
        description: r.get(3)?,
        version: r.get(4)?,
        metadata: json_column(r, 5)?,
        endpoints: json_column(r, 6)?,
        schemas: json_column(r, 7)?,
        capabilities: Vec::new(),
        registered_at: r.get(8)?,
    };
    Ok((record, r.get(9)?))
}

/// Folds `SELECT` rows (one per capability, ordered by agent) into records.
fn collect(
    rows: impl Iterator<Item = crate::store::sql::Result<(AgentRecord, Option<String>)>>,
) -> Result<Vec<AgentRecord>, StoreError> {
    let mut out: Vec<AgentRecord> = Vec::new();
    for row in rows {
        let (record, capability) = row?;
        if out.last().is_none_or(|last| last.agent_id != record.agent_id) {
            out.push(record);
        }
        if let (Some(capability), Some(last)) = (capability, out.last_mut()) {
            last.capabilities.push(capability);
        }
    }
    Ok(out)
}

/// The agent `agent_id` of `tenant`.
pub fn get(conn: &Conn, tenant: &TenantId, agent_id: &str) -> Result<Option<AgentRecord>, StoreError> {
    let mut stmt =
        conn.prepare_cached(&format!("{SELECT} WHERE a.tenant_id = ?1 AND a.agent_id = ?2 ORDER BY c.capability"))?;
    let rows = stmt.query_map(params![tenant.as_str(), agent_id], agent_row)?;
    Ok(collect(rows)?.into_iter().next())
}

/// The agents of `tenant` (all of them, or those declaring `capability`) in registration order,
/// at most `limit`.
pub fn discover(
    conn: &Conn,
    tenant: &TenantId,
    capability: Option<&str>,
    limit: usize,
) -> Result<Vec<AgentRecord>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT}
         WHERE a.tenant_id = ?1 AND a.agent_id IN (
             SELECT m.agent_id FROM a2a_agents m
             WHERE m.tenant_id = ?1
               AND (CAST(?2 AS TEXT) IS NULL OR EXISTS (
                   SELECT 1 FROM a2a_agent_capabilities f
                   WHERE f.tenant_id = m.tenant_id AND f.agent_id = m.agent_id AND f.capability = ?2))
             ORDER BY m.rowid
             LIMIT ?3)
         ORDER BY a.rowid, c.capability"
    ))?;
    let rows = stmt.query_map(params![tenant.as_str(), capability, limit], agent_row)?;
    collect(rows)
}

/// Removes the agent `agent_id` of `tenant` registered by `owner` (capabilities go with it);
/// true when it existed. Another user's agent, like another tenant's, is not there.
pub fn delete(conn: &Conn, tenant: &TenantId, owner: &UserId, agent_id: &str) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "DELETE FROM a2a_agents WHERE tenant_id = ?1 AND agent_id = ?2 AND user_id = ?3",
        params![tenant.as_str(), agent_id, owner.as_str()],
    )? == 1)
}

impl Store {
    /// Async [`insert`].
    pub async fn insert_a2a_agent(
        &self,
        tenant: &TenantId,
        agent: AgentRecord,
        quota: AgentQuota,
    ) -> Result<Inserted, StoreError> {
        let tenant = tenant.clone();
        self.call(move |c| insert(c, &tenant, &agent, quota)).await
    }

    /// Async [`delete`].
    pub async fn delete_a2a_agent(
        &self,
        tenant: &TenantId,
        owner: &UserId,
        agent_id: &str,
    ) -> Result<bool, StoreError> {
        let (tenant, owner, agent_id) = (tenant.clone(), owner.clone(), agent_id.to_string());
        self.call(move |c| delete(c, &tenant, &owner, &agent_id)).await
    }

    /// Async [`get`].
    pub async fn get_a2a_agent(&self, tenant: &TenantId, agent_id: &str) -> Result<Option<AgentRecord>, StoreError> {
        let (tenant, agent_id) = (tenant.clone(), agent_id.to_string());
        self.call(move |c| get(c, &tenant, &agent_id)).await
    }

    /// Async [`discover`].
    pub async fn discover_a2a_agents(
        &self,
        tenant: &TenantId,
        capability: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AgentRecord>, StoreError> {
        let (tenant, capability) = (tenant.clone(), capability.map(str::to_string));
        self.call(move |c| discover(c, &tenant, capability.as_deref(), limit)).await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::{Store, tenants, users};

    fn setup() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("pacer.db")).expect("open");
        store.migrate().expect("migrate");
        (dir, store)
    }

    /// A tenant with one user: (tenant, user).
    fn tenant_with_user(conn: &Conn, name: &str) -> (TenantId, UserId) {
        let tenant = tenants::get_or_create(conn, name).expect("tenant").id;
        let user = users::create(conn, &tenant, &format!("owner@{name}.example"), None).expect("user").info.id;
        (tenant, user)
    }

    const ROOMY: AgentQuota = AgentQuota { per_user: 100, per_tenant: 100 };

    fn agent(id: &str, owner: &UserId, capabilities: &[&str], at: &str) -> AgentRecord {
        AgentRecord {
            agent_id: id.into(),
            owner: owner.clone(),
            name: format!("Agent {id}"),
            description: Some("does things".into()),
            version: "1.0.0".into(),
            metadata: json!({"name": format!("Agent {id}"), "version": "1.0.0", "team": "ops"}),
            endpoints: json!(["/webhook/activity"]),
            schemas: json!({"activity": {"type": "object"}}),
            capabilities: capabilities.iter().map(|c| c.to_string()).collect(),
            registered_at: at.into(),
        }
    }

    #[test]
    fn insert_get_and_duplicate() {
        let (_dir, store) = setup();
        let conn = store.conn().expect("conn");
        let (club, owner) = tenant_with_user(&conn, "club");
        let a = agent("discord-bot-001", &owner, &["notification", "webhook"], "2026-01-15T10:30:00Z");
        insert(&conn, &club, &a, ROOMY).expect("insert");
        assert_eq!(get(&conn, &club, "discord-bot-001").expect("get"), Some(a.clone()));
        assert_eq!(get(&conn, &club, "nope").expect("get"), None);

        let mut again = agent("discord-bot-001", &owner, &["other"], "2026-01-16T10:30:00Z");
        again.name = "Replacement".into();
        assert!(matches!(insert(&conn, &club, &again, ROOMY), Err(StoreError::Conflict(_))));
        assert_eq!(get(&conn, &club, "discord-bot-001").expect("get"), Some(a), "a duplicate changes nothing");

        let (_, stranger) = tenant_with_user(&conn, "club2");
        assert!(!delete(&conn, &club, &stranger, "discord-bot-001").expect("delete"), "only the owner deletes");
        assert!(delete(&conn, &club, &owner, "discord-bot-001").expect("delete"));
        assert!(!delete(&conn, &club, &owner, "discord-bot-001").expect("delete again"));
        let left: i64 =
            conn.query_row("SELECT COUNT(*) FROM a2a_agent_capabilities", params![], |r| r.get(0)).expect("count");
        assert_eq!(left, 0, "capabilities are removed with their agent");
    }

    #[test]
    fn discover_filters_by_capability_in_registration_order() {
        let (_dir, store) = setup();
        let conn = store.conn().expect("conn");
        let (club, owner) = tenant_with_user(&conn, "club");
        insert(&conn, &club, &agent("b-analytics", &owner, &["webhook", "analytics"], "2026-01-02T00:00:00Z"), ROOMY)
            .expect("insert");
        insert(&conn, &club, &agent("a-notify", &owner, &["webhook"], "2026-01-01T00:00:00Z"), ROOMY).expect("insert");
        insert(&conn, &club, &agent("c-quiet", &owner, &[], "2026-01-03T00:00:00Z"), ROOMY).expect("insert");

        let ids = |v: Vec<AgentRecord>| v.into_iter().map(|a| a.agent_id).collect::<Vec<_>>();
        assert_eq!(ids(discover(&conn, &club, Some("webhook"), 100).expect("discover")), ["b-analytics", "a-notify"]);
        assert_eq!(ids(discover(&conn, &club, Some("analytics"), 100).expect("discover")), ["b-analytics"]);
        assert!(discover(&conn, &club, Some("Webhook"), 100).expect("discover").is_empty(), "exact match");
        assert_eq!(ids(discover(&conn, &club, None, 100).expect("discover")), ["b-analytics", "a-notify", "c-quiet"]);
        assert_eq!(ids(discover(&conn, &club, None, 2).expect("discover")), ["b-analytics", "a-notify"]);

        let found = discover(&conn, &club, Some("analytics"), 100).expect("discover");
        assert_eq!(found[0].capabilities, ["analytics", "webhook"], "all capabilities, not only the matched one");
        assert!(discover(&conn, &club, None, 100).expect("discover")[2].capabilities.is_empty());
    }

    #[test]
    fn tenants_are_isolated() {
        let (_dir, store) = setup();
        let conn = store.conn().expect("conn");
        let (club, owner) = tenant_with_user(&conn, "club");
        let (other, other_owner) = tenant_with_user(&conn, "other");
        insert(&conn, &club, &agent("shared-name", &owner, &["webhook"], "2026-01-01T00:00:00Z"), ROOMY)
            .expect("insert");

        assert_eq!(get(&conn, &other, "shared-name").expect("get"), None);
        assert!(discover(&conn, &other, Some("webhook"), 100).expect("discover").is_empty());
        assert!(discover(&conn, &other, None, 100).expect("discover").is_empty());
        assert!(!delete(&conn, &other, &owner, "shared-name").expect("delete"), "cannot delete another tenant's agent");

        // The same agent id is free in another tenant, and each tenant sees only its own.
        let theirs = agent("shared-name", &other_owner, &["analytics"], "2026-01-02T00:00:00Z");
        insert(&conn, &other, &theirs, ROOMY).expect("same id, other tenant");
        assert_eq!(get(&conn, &other, "shared-name").expect("get"), Some(theirs));
        assert_eq!(get(&conn, &club, "shared-name").expect("get").expect("row").capabilities, ["webhook"]);
        assert!(discover(&conn, &club, Some("analytics"), 100).expect("discover").is_empty());
    }

    #[test]
    fn quotas_per_user_and_per_tenant() {
        let (_dir, store) = setup();
        let conn = store.conn().expect("conn");
        let (club, ada) = tenant_with_user(&conn, "club");
        let bob = users::create(&conn, &club, "bob@club.example", None).expect("bob").info.id;
        let quota = AgentQuota { per_user: 2, per_tenant: 3 };
        let at = "2026-01-01T00:00:00Z";
        assert_eq!(insert(&conn, &club, &agent("a1", &ada, &[], at), quota).expect("a1"), Inserted::Yes);
        assert_eq!(insert(&conn, &club, &agent("a2", &ada, &[], at), quota).expect("a2"), Inserted::Yes);
        assert_eq!(insert(&conn, &club, &agent("a3", &ada, &[], at), quota).expect("a3"), Inserted::UserQuotaFull);
        assert_eq!(insert(&conn, &club, &agent("b1", &bob, &[], at), quota).expect("b1"), Inserted::Yes);
        assert_eq!(insert(&conn, &club, &agent("b2", &bob, &[], at), quota).expect("b2"), Inserted::TenantQuotaFull);
        assert_eq!(discover(&conn, &club, None, 100).expect("discover").len(), 3, "refusals store nothing");
        assert!(delete(&conn, &club, &ada, "a1").expect("delete"));
        assert_eq!(insert(&conn, &club, &agent("b2", &bob, &[], at), quota).expect("b2"), Inserted::Yes);
    }

    #[tokio::test]
    async fn async_wrappers() {
        let (_dir, store) = setup();
        let (club, owner) = tenant_with_user(&store.conn().expect("conn"), "club");
        let a = agent("async-agent", &owner, &["webhook"], "2026-01-01T00:00:00Z");
        store.insert_a2a_agent(&club, a.clone(), ROOMY).await.expect("insert");
        assert_eq!(store.get_a2a_agent(&club, "async-agent").await.expect("get"), Some(a));
        assert_eq!(store.discover_a2a_agents(&club, Some("webhook"), 10).await.expect("discover").len(), 1);
    }
}
