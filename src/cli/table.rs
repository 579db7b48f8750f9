//! Plain-text tables and CSV for the listing commands.

use unicode_width::UnicodeWidthStr;

/// Renders rows under headers with columns padded to their widest cell, in terminal columns (a CJK
/// character or an emoji takes two). Cells wider than `max_width` are cut with an ellipsis so one
/// long title cannot wreck the table.
pub fn render(headers: &[&str], rows: &[Vec<String>], max_width: usize) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| cut(c, max_width)).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for row in &cells {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.width());
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
                .saturating_sub(cell.width());
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

/// One line of `s`, at most `max_width` columns wide: the longest prefix that leaves a column for
/// the ellipsis when it has to be cut.
fn cut(s: &str, max_width: usize) -> String {
    let one_line = s.replace(['\n', '\r', '\t'], " ");
    if one_line.width() <= max_width {
        return one_line;
    }
    let room = max_width.saturating_sub(1);
    let end = one_line
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .take_while(|&end| one_line[..end].width() <= room)
        .last()
        .unwrap_or(0);
    let mut short = one_line[..end].to_string();
    short.push('…');
    short
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
    fn wide_characters_keep_columns_aligned() {
        // CJK characters and emoji take two terminal columns; counting characters misaligned them.
        let rows = vec![
            vec!["aws".into(), "東京リージョン障害".into(), "outage".into()],
            vec!["zoom".into(), "🔥 Outage".into(), "degraded".into()],
            vec!["gcp".into(), "Latency".into(), "operational".into()],
        ];
        let text = render(&["VENDOR", "TITLE", "STATE"], &rows, 40);
        assert_eq!(
            text,
            concat!(
                "VENDOR  TITLE               STATE\n",
                "aws     東京リージョン障害  outage\n",
                "zoom    🔥 Outage           degraded\n",
                "gcp     Latency             operational\n",
            )
        );
        for line in text.lines() {
            let state_at = line.rfind("  ").map(|i| line[..i + 2].width());
            assert_eq!(state_at, Some(28), "{line}");
        }
    }

    #[test]
    fn wide_cells_are_cut_by_columns_not_characters() {
        let rows = vec![vec!["東京リージョン障害".to_string()]];
        // 9 characters, 18 columns: of the 7 columns before the ellipsis, 3 wide characters fill 6.
        assert_eq!(render(&["T"], &rows, 8), "T\n東京リ…\n");
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        let line = csv_line(&["a".into(), "b,c".into(), "say \"hi\"".into()]);
        assert_eq!(line, "a,\"b,c\",\"say \"\"hi\"\"\"\n");
    }
}
