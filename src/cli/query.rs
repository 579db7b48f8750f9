//! `statuswatch query "SQL"`: run SQL on a read-only connection.

use super::output::{csv, table_text, Listing};
use super::{open_existing_read_only, print, Format, GlobalArgs, EXIT_OK};
use crate::store::{StoreError, Value};
use anyhow::Context;

/// Arguments of `query`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = crate::store::QUERY_EXAMPLES)]
pub struct QueryArgs {
    /// One SQL statement that reads, e.g. "SELECT * FROM current_status" (SELECT, WITH, VALUES,
    /// EXPLAIN, a PRAGMA that reports). Anything that would write or change the connection
    /// (VACUUM INTO, ATTACH, BEGIN), and a second statement, is refused.
    pub sql: String,
    /// table; json: one document {"columns":[...],"rows":[[...],...]} (column order and
    /// duplicate names kept; values typed); csv: a header row of the column names, then the rows.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

pub fn run(global: &GlobalArgs, args: &QueryArgs) -> anyhow::Result<i32> {
    // A missing database is an error naming it; an existing one is read through a read-only door.
    let store = open_existing_read_only(&global.db)?;
    let result = match store.query(&args.sql) {
        Ok(result) => result,
        // A refusal names the statement and why itself.
        Err(refused @ StoreError::QueryRefused(_)) => return Err(refused.into()),
        Err(e) => return Err(e).with_context(|| format!("query failed: {}", args.sql.trim())),
    };
    let text = match args.format {
        // Rows as arrays under `columns`, as Datasette's JSON has them: an object per row
        // would lose the order and every duplicate name (`SELECT a.id, b.id`).
        Format::Json => format!("{}\n", serde_json::to_string(&result)?),
        Format::Csv => csv(&result.columns, &cells(&result.rows))?,
        Format::Table => {
            let headers: Vec<&str> = result.columns.iter().map(String::as_str).collect();
            let rows = cells(&result.rows);
            let mut out = table_text(&Listing::new(&headers, 80), &rows);
            out.push_str(&format!("({} rows)\n", rows.len()));
            out
        }
    };
    print(&text)?;
    Ok(EXIT_OK)
}

/// Every value as the text a table or CSV shows (NULL as empty).
fn cells(rows: &[Vec<Value>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(Value::to_string).collect())
        .collect()
}
