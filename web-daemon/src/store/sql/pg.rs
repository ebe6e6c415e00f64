//! PostgreSQL connections: an r2d2 manager and a client that keeps its prepared statements.

use std::collections::HashMap;

use postgres::{Client, Statement};

use super::Datum;

/// Statements kept per connection (more than the store's distinct statements).
const STATEMENT_CACHE: usize = 512;

/// Opens PostgreSQL connections for the r2d2 pool.
#[derive(Clone)]
pub struct PgManager {
    target: super::PgTarget,
}

impl std::fmt::Debug for PgManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgManager").field("tls", &self.target.tls).finish_non_exhaustive()
    }
}

impl PgManager {
    pub fn new(target: super::PgTarget) -> Self {
        Self { target }
    }
}

/// A PostgreSQL client with the statements it has prepared, keyed by the repository's SQL.
pub struct PgConn {
    /// Always `Some` until dropped (see the `Drop` impl).
    client: Option<Client>,
    statements: HashMap<String, Statement>,
}

impl Drop for PgConn {
    /// The blocking client closes its connection by running its own small runtime, which panics
    /// on a thread of the daemon's runtime (a pool dropped at shutdown): close it on a thread of
    /// its own there.
    fn drop(&mut self) {
        if let Some(client) = self.client.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            let _ = std::thread::Builder::new().name("pg-close".into()).spawn(move || drop(client));
        }
    }
}

impl r2d2::ManageConnection for PgManager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        let client = self.target.connect_blocking()?;
        Ok(PgConn { client: Some(client), statements: HashMap::new() })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), postgres::Error> {
        conn.client().simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.client.as_ref().is_none_or(Client::is_closed)
    }
}

impl PgConn {
    /// The underlying client (migrations, listeners, tests).
    pub fn client(&mut self) -> &mut Client {
        self.client.as_mut().expect("a PgConn holds its client until dropped")
    }

    fn statement(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let prepared = self.client().prepare(&dollar_placeholders(sql))?;
        if self.statements.len() >= STATEMENT_CACHE {
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), prepared.clone());
        Ok(prepared)
    }

    fn bind<'p>(params: &'p [Datum<'p>]) -> Vec<&'p (dyn postgres::types::ToSql + Sync)> {
        params.iter().map(|p| p as &(dyn postgres::types::ToSql + Sync)).collect()
    }

    pub(super) fn execute(&mut self, sql: &str, params: &[Datum<'_>]) -> Result<u64, postgres::Error> {
        let stmt = self.statement(sql)?;
        self.client().execute(&stmt, &Self::bind(params))
    }

    pub(super) fn query(&mut self, sql: &str, params: &[Datum<'_>]) -> Result<Vec<postgres::Row>, postgres::Error> {
        let stmt = self.statement(sql)?;
        self.client().query(&stmt, &Self::bind(params))
    }

    pub(super) fn batch(&mut self, sql: &str) -> Result<(), postgres::Error> {
        self.client().batch_execute(sql)
    }
}

/// `?N` → `$N` (and a bare `?` → the next number) outside quoted text and identifiers.
pub(crate) fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut quote: Option<char> = None;
    let mut next = 1usize;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (Some(_), c) => out.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(c);
            }
            (None, '?') => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                if digits.is_empty() {
                    digits = next.to_string();
                }
                next = digits.parse::<usize>().map_or(next, |n| n + 1);
                out.push('$');
                out.push_str(&digits);
            }
            (None, c) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::dollar_placeholders;

    #[test]
    fn numbered_and_bare_placeholders_become_dollars_outside_quotes() {
        assert_eq!(dollar_placeholders("a = ?1 AND b = ?12"), "a = $1 AND b = $12");
        assert_eq!(dollar_placeholders("a = ? AND b = ?"), "a = $1 AND b = $2");
        assert_eq!(dollar_placeholders("x LIKE ?3 ESCAPE '\\' AND y = '?'"), "x LIKE $3 ESCAPE '\\' AND y = '?'");
    }
}
