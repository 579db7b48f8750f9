//! Plain-text tables and CSV for the listing commands.

/// Renders rows under headers with columns padded to their widest cell (in characters).
/// Cells longer than `max_width` are cut with an ellipsis so one long title cannot wreck
/// the table.
pub fn render(headers: &[&str], rows: &[Vec<String>], max_width: usize) -> String {
    let cut = |s: &str| -> String {
        let one_line = s.replace(['\n', '\r', '\t'], " ");
        if one_line.chars().count() > max_width {
            let mut short: String = one_line.chars().take(max_width.saturating_sub(1)).collect();
            short.push('…');
            short
        } else {
            one_line
        }
    };
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| cut(c)).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &cells {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &mut dyn Iterator<Item = &str>| {
        let mut parts = Vec::new();
        for (i, cell) in cells.enumerate() {
            let pad = widths
                .get(i)
                .copied()
                .unwrap_or(0)
                .saturating_sub(cell.chars().count());
            parts.push(format!("{cell}{}", " ".repeat(pad)));
        }
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(&mut out, &mut headers.iter().copied());
    for row in &cells {
        line(&mut out, &mut row.iter().map(String::as_str));
    }
    out
}

/// One CSV record (RFC 4180 quoting).
pub fn csv_line(cells: &[String]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect();
    format!("{}\n", quoted.join(","))
}

/// Renders items in the chosen format: one JSON object per line (the item serialized), CSV
/// with lowercase headers, or a table. `footer` follows a table only.
pub fn render_items<T: serde::Serialize>(
    format: super::Format,
    headers: &[&str],
    items: &[T],
    cells: impl Fn(&T) -> Vec<String>,
    max_width: usize,
    footer: &str,
) -> Result<String, serde_json::Error> {
    let mut out = String::new();
    match format {
        super::Format::Json => {
            for item in items {
                out.push_str(&serde_json::to_string(item)?);
                out.push('\n');
            }
        }
        super::Format::Csv => {
            let header: Vec<String> = headers.iter().map(|h| h.to_lowercase()).collect();
            out.push_str(&csv_line(&header));
            for item in items {
                out.push_str(&csv_line(&cells(item)));
            }
        }
        super::Format::Table => {
            if !items.is_empty() {
                let rows: Vec<Vec<String>> = items.iter().map(&cells).collect();
                out.push_str(&render(headers, &rows, max_width));
            }
            out.push_str(footer);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_columns_and_cuts_long_cells() {
        let rows = vec![vec!["zoom".to_string(), "x".repeat(50)]];
        let text = render(&["VENDOR", "TITLE"], &rows, 10);
        assert_eq!(text, "VENDOR  TITLE\nzoom    xxxxxxxxx…\n");
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        let line = csv_line(&["a".into(), "b,c".into(), "say \"hi\"".into()]);
        assert_eq!(line, "a,\"b,c\",\"say \"\"hi\"\"\"\n");
    }
}
