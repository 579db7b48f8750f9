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
    /// Runs one SQL statement that reads and collects its rows. Anything else is refused
    /// before it runs, by SQLite's own judgement of the prepared statement: one that writes
    /// (`VACUUM INTO` a file, `DELETE ... RETURNING`), one that returns no rows (it changes the
    /// connection instead: `ATTACH`, `BEGIN`, a PRAGMA setting), an empty text, or a second
    /// statement after the first (which would otherwise be silently ignored). Blanks and
    /// comments around the statement and a trailing `;` are fine.
    pub fn query(&self, sql: &str) -> Result<QueryResult, StoreError> {
        let mut batch = rusqlite::Batch::new(&self.conn, sql);
        let Some(mut stmt) = batch.next()? else {
            return Err(StoreError::QueryRefused(
                "there is no statement (the text is empty or only comments)".into(),
            ));
        };
        match batch.next() {
            Ok(None) => {}
            Ok(Some(second)) => {
                return Err(StoreError::QueryRefused(format!(
                    "a second statement follows the first ({}): run each on its own",
                    shown(&second)
                )))
            }
            Err(_) => {
                return Err(StoreError::QueryRefused(
                    "more SQL follows the first statement's `;`: run one statement at a time"
                        .into(),
                ))
            }
        }
        if !stmt.readonly() {
            return Err(StoreError::QueryRefused(format!(
                "{} writes (to the archive or to another file)",
                shown(&stmt)
            )));
        }
        if stmt.column_count() == 0 {
            return Err(StoreError::QueryRefused(format!(
                "{} returns no rows: it would change the connection (ATTACH, DETACH, BEGIN, a PRAGMA setting), not read the archive",
                shown(&stmt)
            )));
        }
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

/// A statement as an error shows it: its text, cut after 60 characters.
fn shown(stmt: &rusqlite::Statement<'_>) -> String {
    let text = stmt.expanded_sql().unwrap_or_default();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("`{}…`", &text[..cut]),
        None => format!("`{text}`"),
    }
}
