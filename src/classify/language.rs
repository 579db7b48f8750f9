//! Which languages an entry is written in, so rules tagged with a language read only text in it
//! (Dutch "storing" is an outage; English "storing" is not).
//!
//! English is always on: status pages in every language use English labels and product words.
//! Besides it, an entry is in the language its feed declares and in the language its own text
//! is most clearly written in, told by common function words (Japanese by its script). A few
//! hundred bytes of text decide; nothing is fetched or loaded.

use std::collections::HashMap;
use std::sync::OnceLock;

/// ISO 639-1 codes with the function words that tell them apart, lower case (at most 16
/// languages: [`stopword_lists`] keeps a bit per list).
const STOPWORDS: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "the", "and", "is", "are", "we", "of", "to", "for", "with", "this", "that", "our",
            "be", "has", "have", "been", "was", "some", "on",
        ],
    ),
    (
        "de",
        &[
            "der", "die", "das", "und", "ist", "nicht", "wird", "mit", "für", "von", "auf", "bei",
            "wir", "sind", "wurde", "werden", "eine", "ein", "dem", "den", "zu", "im", "uhr",
            "des", "es", "kann", "können",
        ],
    ),
    (
        "fr",
        &[
            "le", "la", "les", "des", "est", "et", "une", "pour", "sur", "nous", "dans", "pas",
            "sont", "du", "au", "aux", "ce", "cette", "service", "été",
        ],
    ),
    (
        "es",
        &[
            "el", "los", "las", "del", "que", "una", "para", "por", "con", "está", "están",
            "hemos", "estamos", "se", "servicio", "algunos", "y",
        ],
    ),
    (
        "it",
        &[
            "il", "della", "che", "è", "sono", "stiamo", "per", "con", "una", "gli", "nel",
            "alcuni", "delle", "dei", "servizio", "abbiamo",
        ],
    ),
    (
        "pt",
        &[
            "o", "os", "da", "do", "das", "dos", "que", "não", "está", "estamos", "uma", "para",
            "com", "em", "serviço", "alguns",
        ],
    ),
    (
        "nl",
        &[
            "de", "het", "een", "en", "van", "niet", "wordt", "zijn", "we", "voor", "met", "op",
            "er", "is", "dat", "deze",
        ],
    ),
    (
        "pl",
        &[
            "się", "nie", "jest", "w", "z", "na", "do", "że", "są", "dla", "oraz", "przez",
            "usługi", "został", "została",
        ],
    ),
];

/// How much of the text is read.
const SAMPLE_BYTES: usize = 1200;

/// The languages of an entry: English, the declared one, and the one its text shows.
/// A declared code need not be one this detector knows: a user's rules may add a language.
pub fn languages(declared: Option<&str>, title: &str, content: &str) -> Vec<String> {
    let mut out = vec!["en".to_string()];
    let mut add = |code: &str| {
        let code = code.to_ascii_lowercase();
        if !out.contains(&code) {
            out.push(code);
        }
    };
    if let Some(d) = declared.filter(|d| is_code(d)) {
        add(d);
    }
    let sample = sample(title, content);
    if japanese(&sample) {
        add("ja");
    }
    if let Some(best) = by_stopwords(&sample) {
        add(best);
    }
    out
}

/// Every language the default rules and this detector know.
pub const KNOWN: &[&str] = &["en", "de", "fr", "es", "it", "pt", "nl", "pl", "ja"];

/// An ISO 639 code: two or three ASCII letters.
pub fn is_code(code: &str) -> bool {
    (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphabetic())
}

fn sample(title: &str, content: &str) -> String {
    let mut s = String::with_capacity(SAMPLE_BYTES + title.len() + 1);
    s.push_str(title);
    s.push(' ');
    let mut end = content.len().min(SAMPLE_BYTES);
    while !content.is_char_boundary(end) {
        end -= 1;
    }
    s.push_str(&content[..end]);
    s
}

fn japanese(text: &str) -> bool {
    text.chars()
        .filter(|c| matches!(*c as u32, 0x3040..=0x30ff))
        .nth(2)
        .is_some()
}

/// The non-English language whose function words the text uses most, when clearly more than
/// English's and at least twice.
fn by_stopwords(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    // One lookup per word (which lists hold it) instead of a scan of every list for each
    // word: this ran for every entry classified and was 4 % of a cold cycle's CPU.
    let mut counts = [0usize; STOPWORDS.len()];
    let lists_of = stopword_lists();
    for word in lower.split(|c: char| !c.is_alphanumeric()) {
        // Function words are short; most words of a text are not, and need no lookup.
        if word.is_empty() || word.len() > lists_of.longest {
            continue;
        }
        if let Some(&lists) = lists_of.words.get(word) {
            for (i, count) in counts.iter_mut().enumerate() {
                *count += usize::from(lists & (1 << i) != 0);
            }
        }
    }
    most_used(&counts)
}

/// Given each list's count of words (in [`STOPWORDS`] order), the non-English language used
/// most (the first on a tie), when clearly more than English and at least twice.
fn most_used(counts: &[usize]) -> Option<&'static str> {
    let mut english = 0;
    let mut best: Option<(&'static str, usize)> = None;
    for ((code, _), &n) in STOPWORDS.iter().zip(counts) {
        if *code == "en" {
            english = n;
        } else if best.is_none_or(|(_, b)| n > b) {
            best = Some((code, n));
        }
    }
    let (code, n) = best?;
    (n >= 2 && n > english).then_some(code)
}

/// Each function word with the lists that hold it, as bits by position in [`STOPWORDS`], and
/// the longest word's length in bytes.
struct StopwordLists {
    words: HashMap<&'static str, u16>,
    longest: usize,
}

fn stopword_lists() -> &'static StopwordLists {
    static LISTS: OnceLock<StopwordLists> = OnceLock::new();
    LISTS.get_or_init(|| {
        let mut words = HashMap::new();
        for (i, (_, list)) in STOPWORDS.iter().enumerate() {
            for word in *list {
                *words.entry(*word).or_insert(0) |= 1 << i;
            }
        }
        let longest = words.keys().map(|w| w.len()).max().unwrap_or(0);
        StopwordLists { words, longest }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The count [`by_stopwords`] replaced: every list searched for every word.
    fn by_stopwords_scanning(text: &str) -> Option<&'static str> {
        let lower = text.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let counts: Vec<usize> = STOPWORDS
            .iter()
            .map(|(_, list)| words.iter().filter(|w| list.contains(w)).count())
            .collect();
        most_used(&counts)
    }

    fn words() -> Vec<String> {
        let mut all: Vec<String> = STOPWORDS
            .iter()
            .flat_map(|(_, list)| list.iter())
            .flat_map(|w| [w.to_string(), w.to_uppercase()])
            .collect();
        all.extend(["outage", "Störung", "İstanbul", "ǅ", "x"].map(String::from));
        all
    }

    proptest! {
        #[test]
        fn the_lookup_agrees_with_scanning_every_list(
            picked in proptest::collection::vec((0..200usize, "[ ,.:;!?\\-\n]{1,2}"), 0..40),
            noise in "\\PC{0,30}",
        ) {
            let words = words();
            let mut text = noise;
            for (i, sep) in picked {
                text.push_str(&words[i % words.len()]);
                text.push_str(&sep);
            }
            prop_assert_eq!(by_stopwords(&text), by_stopwords_scanning(&text), "{:?}", text);
        }
    }

    #[test]
    fn detection_case_table() {
        let cases: &[(Option<&str>, &str, &str, &[&str])] = &[
            (None, "Elevated errors", "We are investigating elevated error rates for some of our users.", &["en"]),
            (None, "Moodle: Ausfall", "Der Zugriff auf Moodle ist derzeit nicht möglich. Wir arbeiten an einer Lösung.", &["en", "de"]),
            (None, "Panne de l'API", "Nous constatons des erreurs sur le service et nous enquêtons sur la cause.", &["en", "fr"]),
            (None, "Interrupción", "Estamos investigando una interrupción del servicio que afecta a los usuarios.", &["en", "es"]),
            (None, "Disservizio", "Stiamo indagando su un problema che riguarda alcuni utenti del servizio.", &["en", "it"]),
            (None, "Instabilidade", "Estamos investigando uma instabilidade no serviço que afeta alguns usuários em São Paulo.", &["en", "pt"]),
            (None, "Storing", "Er is een storing bij het inloggen. We onderzoeken de oorzaak van de storing.", &["en", "nl"]),
            (None, "Awaria", "Trwa awaria usługi. Pracujemy nad tym, aby jak najszybciej została usunięta, nie jest dostępna.", &["en", "pl"]),
            (None, "インスタンスの接続性について | Instance Availability", "現在、一部のインスタンスに接続できない問題を調査しています。", &["en", "ja"]),
            // The declared language counts whatever the text says; an unknown code is ignored.
            (Some("de"), "Update", "Short.", &["en", "de"]),
            (Some("sv"), "Update", "Short.", &["en", "sv"]),
            (Some("not a code"), "Update", "Short.", &["en"]),
            // English text that happens to contain a Dutch word stays English.
            (None, "Storing data", "We are storing the data for some of the users in the new region.", &["en"]),
        ];
        for (declared, title, content, want) in cases {
            assert_eq!(languages(*declared, title, content), *want, "{title}");
        }
    }
}
