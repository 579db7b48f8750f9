//! Plain-text tables for the listing commands: aligned for a terminal, tab-separated for a
//! pipe, optionally with coloured cells. (Formats and the choice between layouts: `output.rs`.)
//!
//! Every cell is made one safe line here ([`crate::text::one_line`]), whatever its source: text
//! is cleaned where it enters too, but rows stored before that rule existed are not rewritten,
//! so this is where they are made safe to print.

use unicode_width::UnicodeWidthStr;

/// How a table is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Columns padded to their widest cell, cells cut at this many terminal columns.
    Aligned(usize),
    /// Cells separated by one tab, nothing padded or cut (for programs reading a pipe).
    Tabs,
}

/// The ANSI colour of a cell (its column index and text), or none.
pub type Style = fn(usize, &str) -> Option<Colour>;

/// The colours a table cell may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    Red,
    Yellow,
    Green,
    Blue,
}

impl Colour {
    fn code(self) -> &'static str {
        match self {
            Colour::Red => "31",
            Colour::Yellow => "33",
            Colour::Green => "32",
            Colour::Blue => "34",
        }
    }
}

/// The colour of a service state's word (`outage`, `degraded (override)`, ...).
pub fn state_colour(text: &str) -> Option<Colour> {
    match text.split_whitespace().next()? {
        "outage" => Some(Colour::Red),
        "degraded" => Some(Colour::Yellow),
        "maintenance" => Some(Colour::Blue),
        "operational" | "resolved" => Some(Colour::Green),
        _ => None,
    }
}

/// Renders rows under headers with columns padded to their widest cell, in terminal columns (a CJK
/// character or an emoji takes two). Cells wider than `max_width` are cut with an ellipsis so one
/// long title cannot wreck the table.
pub fn render(headers: &[&str], rows: &[Vec<String>], max_width: usize) -> String {
    render_styled(headers, rows, Layout::Aligned(max_width), None)
}

/// Renders rows under headers in `layout`, colouring the cells `style` picks (the padding
/// counts the text only, so coloured columns stay aligned).
pub fn render_styled(
    headers: &[&str],
    rows: &[Vec<String>],
    layout: Layout,
    style: Option<Style>,
) -> String {
    let paint = |column: usize, cell: &str| -> String {
        match style.and_then(|s| s(column, cell)) {
            Some(colour) => format!("\x1b[{}m{cell}\x1b[0m", colour.code()),
            None => cell.to_string(),
        }
    };
    let max_width = match layout {
        Layout::Tabs => {
            let mut out = headers.join("\t");
            out.push('\n');
            for row in rows {
                let cells: Vec<String> = row
                    .iter()
                    .enumerate()
                    .map(|(i, c)| paint(i, &crate::text::one_line(c)))
                    .collect();
                out.push_str(&cells.join("\t"));
                out.push('\n');
            }
            return out;
        }
        Layout::Aligned(max_width) => max_width,
    };
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
    let line = |out: &mut String, cells: &mut dyn Iterator<Item = &str>, styled: bool| {
        let mut parts = Vec::new();
        for (i, cell) in cells.enumerate() {
            let pad = widths
                .get(i)
                .copied()
                .unwrap_or(0)
                .saturating_sub(cell.width());
            let text = if styled {
                paint(i, cell)
            } else {
                cell.to_string()
            };
            parts.push(format!("{text}{}", " ".repeat(pad)));
        }
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(&mut out, &mut headers.iter().copied(), false);
    for row in &cells {
        line(&mut out, &mut row.iter().map(String::as_str), true);
    }
    out
}

/// One line of `s`, at most `max_width` columns wide: the longest prefix that leaves a column for
/// the ellipsis when it has to be cut.
fn cut(s: &str, max_width: usize) -> String {
    let one_line = crate::text::one_line(s).into_owned();
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
    fn piped_tables_are_tab_separated_and_uncut() {
        let rows = vec![vec!["zoom".to_string(), "x".repeat(50) + "\tend"]];
        let text = render_styled(&["VENDOR", "TITLE"], &rows, Layout::Tabs, None);
        assert_eq!(
            text,
            format!("VENDOR\tTITLE\nzoom\t{} end\n", "x".repeat(50))
        );
    }

    #[test]
    fn coloured_cells_keep_the_columns_aligned() {
        let rows = vec![
            vec!["outage".to_string(), "a".to_string()],
            vec!["operational".to_string(), "b".to_string()],
        ];
        let style: Style = |i, text| if i == 0 { state_colour(text) } else { None };
        let text = render_styled(&["STATE", "X"], &rows, Layout::Aligned(40), Some(style));
        assert_eq!(
            text,
            "STATE        X\n\x1b[31moutage\x1b[0m       a\n\x1b[32moperational\x1b[0m  b\n"
        );
    }
}
