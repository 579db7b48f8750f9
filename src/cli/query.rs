//! `statuswatch query "SQL"`: run SQL on a read-only connection.

use super::table::{csv_line, render};
use super::{open_existing_store, print, Format, GlobalArgs, EXIT_OK};
use crate::store::{Store, Value};
use anyhow::Context;

/// Arguments of `query`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = crate::store::QUERY_EXAMPLES)]
pub struct QueryArgs {
    /// One SQL statement, e.g. "SELECT * FROM current_status". The connection is read-only.
    pub sql: String,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

pub fn run(global: &GlobalArgs, args: &QueryArgs) -> anyhow::Result<i32> {
    // Create the database (schema only) when missing, then read it through a read-only door.
    drop(open_existing_store(&global.db)?);
    let store = Store::open_read_only(&global.db)?;
    let result = store
        .query(&args.sql)
        .with_context(|| format!("query failed: {}", args.sql.trim()))?;
    match args.format {
        Format::Json => {
            let mut out = String::new();
            for row in &result.rows {
                let object: serde_json::Map<String, serde_json::Value> = result
                    .columns
                    .iter()
                    .zip(row)
                    .map(|(c, v)| {
                        (
                            c.clone(),
                            serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
                        )
                    })
                    .collect();
                out.push_str(&serde_json::Value::Object(object).to_string());
                out.push('\n');
            }
            print(&out)?;
        }
        Format::Csv => {
            let mut out = csv_line(&result.columns);
            for row in &result.rows {
                out.push_str(&csv_line(
                    &row.iter().map(Value::to_string).collect::<Vec<_>>(),
                ));
            }
            print(&out)?;
        }
        Format::Table => {
            let headers: Vec<&str> = result.columns.iter().map(String::as_str).collect();
            let rows: Vec<Vec<String>> = result
                .rows
                .iter()
                .map(|r| r.iter().map(Value::to_string).collect())
                .collect();
            let mut out = render(&headers, &rows, 80);
            out.push_str(&format!("({} rows)\n", rows.len()));
            print(&out)?;
        }
    }
    Ok(EXIT_OK)
}
