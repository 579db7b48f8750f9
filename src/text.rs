//! Text that came from outside (feeds, OPML files, command-line flags, the database), made safe
//! to show: no control character that moves a terminal's cursor, rings its bell or repaints it,
//! and no bidirectional override that reorders what is displayed.
//!
//! One rule for every stage: the parser drops these characters from feed text, the catalog and
//! `feeds add` from what they store, and the table renderer from every cell it prints (rows
//! stored before the rule existed are made safe there). Pure functions, no I/O.

/// Control characters that have no place in a document's text (tab and newlines are fine):
/// what XML 1.0 forbids, so document repair drops them too.
pub fn is_forbidden_control(c: char) -> bool {
    (c < ' ' && c != '\t' && c != '\n' && c != '\r')
        || c == '\u{7f}'
        || c == '\u{fffe}'
        || c == '\u{ffff}'
}

/// Characters that must never reach a terminal: every C0 control but tab and newlines, DEL, the
/// C1 controls (U+0080–U+009F, which some terminals obey as escape sequences) and the
/// bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
pub fn is_unsafe(c: char) -> bool {
    is_forbidden_control(c)
        || ('\u{80}'..='\u{9f}').contains(&c)
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// One line of outside text, safe to show: tabs and line breaks become spaces, every
/// [`is_unsafe`] character is dropped. Borrowed back when there is nothing to change.
pub fn one_line(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || is_unsafe(c)) {
        return std::borrow::Cow::Borrowed(s);
    }
    s.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c if is_unsafe(c) || c.is_control() => None,
            c => Some(c),
        })
        .collect::<String>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_cases() {
        let cases = [
            ("Zoom", "Zoom"),
            ("Pokémon GO ☁ 作業中", "Pokémon GO ☁ 作業中"),
            ("\u{1b}[2J\u{1b}[HEvil\u{7}", "[2J[HEvil"),
            ("two\nlines\tand\r\ntab", "two lines and  tab"),
            ("c1\u{9b}31m\u{85}x", "c131mx"),
            ("del\u{7f}", "del"),
            ("abc\u{202e}fed\u{202c} \u{2066}x\u{2069}", "abcfed x"),
            ("\u{200f}rlm kept", "\u{200f}rlm kept"),
        ];
        for (input, want) in cases {
            assert_eq!(one_line(input), want, "{input:?}");
        }
    }

    #[test]
    fn unsafe_characters_are_exactly_the_listed_ranges() {
        for c in [
            '\u{0}', '\u{7}', '\u{1b}', '\u{7f}', '\u{80}', '\u{9f}', '\u{202a}', '\u{202e}',
            '\u{2066}', '\u{2069}',
        ] {
            assert!(is_unsafe(c), "{c:?}");
        }
        for c in [
            '\t', '\n', 'a', '\u{a0}', '\u{2029}', '\u{202f}', '\u{2065}', '\u{206a}',
        ] {
            assert!(!is_unsafe(c), "{c:?}");
        }
    }
}
