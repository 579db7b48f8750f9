//! Read-only SQL for people (`statuswatch query`): columns and typed values, no writes.

use super::{Store, StoreError};
use rusqlite::types::ValueRef;

/// The examples `statuswatch query --help` ends with (SQL lives in the store).
pub const QUERY_EXAMPLES: &str = "Examples:
  statuswatch query \"SELECT vendor, state, since FROM current_status WHERE state <> 'operational'\"
  statuswatch query \"SELECT vendor, SUM(duration_minutes) FROM outages GROUP BY vendor\" --format csv";

/// One cell of a query result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    /// Blobs are shown as their length; the archive stores none.
    Blob(usize),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Real(x) => write!(f, "{x}"),
            Value::Text(s) => f.write_str(s),
            Value::Blob(n) => write!(f, "<{n} bytes>"),
        }
    }
}

/// Column names and rows of one statement.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QueryResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Store {
    /// Runs one SQL statement and collects its rows. On a read-only store, writes fail.
    pub fn query(&self, sql: &str) -> Result<QueryResult, StoreError> {
        let mut stmt = self.conn.prepare(sql)?;
        let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
        let width = columns.len();
        let mut rows = Vec::new();
        let mut cursor = stmt.query([])?;
        while let Some(row) = cursor.next()? {
            let mut out = Vec::with_capacity(width);
            for i in 0..width {
                out.push(match row.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Integer(v),
                    ValueRef::Real(v) => Value::Real(v),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::Blob(b.len()),
                });
            }
            rows.push(out);
        }
        Ok(QueryResult { columns, rows })
    }
}
