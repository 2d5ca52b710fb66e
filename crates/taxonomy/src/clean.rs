//! Job titles as ads write them, cleaned before their character n-grams are compared with the
//! labels (matching models with `titles.clean`, version 6 on).
//!
//! An ad's title carries words that name no occupation and that no label holds: the gender
//! forms of the Italian ad (`Cameriere/a`, `Impiegato(a)`, `(m/f)`, `m/w/d`), its boilerplate
//! (`cercasi`, `junior`, `part time`, `tempo determinato`, `automunito` …), abbreviations
//! (`Add.`, `Resp.`, `OSS`) and the place of work (`- Milano`). Their n-grams move the cosine
//! with every label: `Infermiere/a` read as `infermiere a`, `Commessa part-time Roma` had two
//! thirds of its grams in `part time roma`. [`Cleaner::clean`] removes them, as a reader of the ad would, and
//! keeps everything else (normalised, [`normalize_label`]):
//! - a gender ending after `/` or in parentheses (`/a`, `/e`, `/i`, `/o`, `/essa`, `/trice`,
//!   `(a)` …) when the word before it has at least four letters;
//! - a run of two or more gender letters (`m f`, `m w d`, `h f`) and `mf`;
//! - the ad words of [`AD_WORDS`], and `tempo` when an hours word follows it (`tempo pieno`,
//!   `tempo determinato`; `tempo libero` stays);
//! - an abbreviation of `data/titoli/abbreviazioni.tsv` is expanded, unless it is itself a word
//!   of some label (`aiuto` of `aiuto cuoco`, `IT` of `amministratore IT` stay);
//! - the name of an Italian comune (one to four words), unless every word of it is a word of
//!   some label (`Calcio`, `Piscina`, `Medicina` … are places and words);
//!
//! and leaves the title as it was when nothing would be left.

use incrocio_core::reference::Reference;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::ngrams::NgramIndex;
use super::{ABBREVIATIONS, normalize_label};

/// Words of job ads that name no occupation (normalised): the call, seniority, hours and
/// contract, a car.
pub const AD_WORDS: &[&str] = &[
    "cercasi",
    "cerca",
    "cerchiamo",
    "ricerchiamo",
    "selezioniamo",
    "seleziona",
    "assume",
    "assumiamo",
    "offerta",
    "urgente",
    "urgentemente",
    "junior",
    "senior",
    "jr",
    "sr",
    "part",
    "full",
    "time",
    "parttime",
    "fulltime",
    "determinato",
    "indeterminato",
    "automunito",
    "automunita",
    "automuniti",
    "mf",
];

/// The words after which `tempo` speaks of hours or a contract, not of a job (`tempo
/// libero`, `previsioni del tempo`).
const HOURS: &[&str] = &["pieno", "parziale", "determinato", "indeterminato"];

/// Gender endings an ad writes after `/` or in parentheses.
const ENDINGS: &[&str] = &[
    "a", "e", "i", "o", "essa", "esse", "trice", "trici", "ice", "ici", "ra", "re", "ia", "ie",
];

/// Letters of a gender marker (`m/f`, `m/w/d`, `h/f`, `f/m/x`).
const MARKER_LETTERS: &[&str] = &["m", "f", "w", "d", "h", "x"];

/// The longest comune name searched, in words.
const MAX_PLACE_WORDS: usize = 4;

/// What cleaning reads: the words of the labels (of the n-gram index the titles are compared
/// with), the abbreviations and the names of the comuni.
pub struct Cleaner<'a> {
    labels: &'a NgramIndex,
    abbreviations: &'static HashMap<String, Vec<String>>,
    places: &'static HashSet<String>,
}

/// `data/titoli/abbreviazioni.tsv`, normalised (parsed once).
fn abbreviations() -> &'static HashMap<String, Vec<String>> {
    static TABLE: std::sync::OnceLock<HashMap<String, Vec<String>>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| super::titles::parse_abbreviations(ABBREVIATIONS))
}

/// The normalised names of the Italian comuni (parsed once).
fn places() -> &'static HashSet<String> {
    static PLACES: std::sync::OnceLock<HashSet<String>> = std::sync::OnceLock::new();
    PLACES.get_or_init(|| {
        Reference::bundled()
            .territory
            .comuni()
            .iter()
            .map(|c| normalize_label(&c.nome))
            .filter(|n| !n.is_empty())
            .collect()
    })
}

impl<'a> Cleaner<'a> {
    /// A cleaner of titles compared with `labels`.
    pub fn new(labels: &'a NgramIndex) -> Cleaner<'a> {
        Cleaner {
            labels,
            abbreviations: abbreviations(),
            places: places(),
        }
    }

    /// `title` without what names no occupation, normalised ([`normalize_label`]); the
    /// normalised title when cleaning would leave nothing.
    pub fn clean(&self, title: &str) -> String {
        let tokens: Vec<String> = normalize_label(&without_endings(title))
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        let mut kept: Vec<&str> = Vec::with_capacity(tokens.len());
        let mut i = 0;
        while i < tokens.len() {
            let w = tokens[i].as_str();
            // A run of gender letters.
            let run = tokens[i..]
                .iter()
                .take_while(|t| MARKER_LETTERS.contains(&t.as_str()))
                .count();
            if run >= 2 {
                i += run;
                continue;
            }
            if AD_WORDS.contains(&w) {
                i += 1;
                continue;
            }
            if w == "tempo"
                && tokens
                    .get(i + 1)
                    .is_some_and(|n| HOURS.contains(&n.as_str()))
            {
                i += 2;
                continue;
            }
            if let Some(n) = self.place_at(&tokens[i..]) {
                i += n;
                continue;
            }
            match self.abbreviations.get(w) {
                Some(e) if !self.labels.has_word(w) => kept.extend(e.iter().map(String::as_str)),
                _ => kept.push(w),
            }
            i += 1;
        }
        if kept.is_empty() {
            return normalize_label(title);
        }
        kept.join(" ")
    }

    /// How many of `tokens`' first words are a comune's name (the longest), when one of them
    /// is a word no label holds.
    fn place_at(&self, tokens: &[String]) -> Option<usize> {
        (1..=MAX_PLACE_WORDS.min(tokens.len())).rev().find(|&n| {
            let span = &tokens[..n];
            self.places.contains(&span.join(" ")) && span.iter().any(|w| !self.labels.has_word(w))
        })
    }
}

/// `title` with the gender endings written after `/` or in parentheses removed (`Cameriere/a`
/// → `Cameriere`, `Impiegato(a)` → `Impiegato`): an ending goes when the word before it has
/// at least four letters.
fn without_endings(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    let chars: Vec<char> = title.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let opening = match c {
            '/' => Some(None),
            '(' => Some(Some(')')),
            _ => None,
        };
        if let Some(close) = opening {
            // The letters of the word before (ignoring one space before a parenthesis).
            let before: String = out
                .trim_end_matches(' ')
                .chars()
                .rev()
                .take_while(|c| c.is_alphabetic())
                .collect();
            let mut j = i + 1;
            while j < chars.len() && chars[j] == ' ' {
                j += 1;
            }
            let start = j;
            while j < chars.len() && chars[j].is_alphabetic() {
                j += 1;
            }
            let ending: String = chars[start..j].iter().collect::<String>().to_lowercase();
            let closed = match close {
                Some(p) => {
                    let mut k = j;
                    while k < chars.len() && chars[k] == ' ' {
                        k += 1;
                    }
                    (k < chars.len() && chars[k] == p).then_some(k + 1)
                }
                None => (j == chars.len() || !chars[j].is_alphanumeric()).then_some(j),
            };
            if let Some(end) = closed
                && before.chars().count() >= 4
                && ENDINGS.contains(&ending.as_str())
            {
                out.push(' ');
                i = end;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Taxonomy;

    /// Each title cleaned as expected (normalised, [`normalize_label`]).
    fn check(cases: &[(&str, &str)]) {
        let cleaner = Cleaner::new(Taxonomy::bundled().ngrams());
        for (title, want) in cases {
            assert_eq!(cleaner.clean(title), *want, "{title}");
        }
    }

    #[test]
    fn gender_endings_markers_and_ad_words_go() {
        check(&[
            ("Cameriere/a di sala", "cameriere di sala"),
            ("Infermiere/a", "infermiere"),
            ("Impiegato(a) amministrativo/a", "impiegato amministrativo"),
            ("Impiegato (a)", "impiegato"),
            ("Direttore/trice di negozio", "direttore di negozio"),
            ("Cercasi magazziniere (m/f)", "magazziniere"),
            ("Sviluppatore Java Senior m/w/d", "sviluppatore java"),
            (
                "Commessa part-time tempo determinato, automunita",
                "commessa",
            ),
            // `tempo` of the hours goes, `tempo` of a job stays.
            ("Barista tempo pieno", "barista"),
            (
                "Animatrice per il tempo libero",
                "animatrice per il tempo libero",
            ),
        ]);
    }

    #[test]
    fn words_that_are_not_endings_stay() {
        check(&[
            // Two occupations, an acronym in parentheses, an ending after three letters.
            ("Autista/corriere", "autista corriere"),
            ("Addetto scaffali (GDO)", "addetto scaffali gdo"),
            ("Bar/e ristorante", "bar e ristorante"),
            // A single letter is not a marker run (`patente C`).
            ("Autista patente C", "autista patente c"),
        ]);
    }

    #[test]
    fn abbreviations_expand_unless_a_label_holds_the_word() {
        check(&[
            ("Add. magazzino", "addetto magazzino"),
            ("Resp. amministrativo", "responsabile amministrativo"),
            ("OSS", "operatore socio sanitario"),
            ("Magazz. e carrellista", "magazziniere e carrellista"),
            // Words of labels (`aiuto cuoco`, `amministratore IT`, `HR manager`).
            ("Aiuto cuoco", "aiuto cuoco"),
            ("Amministratore IT", "amministratore it"),
            ("Tecnico/a HR", "tecnico hr"),
        ]);
    }

    #[test]
    fn places_go_unless_every_word_is_a_label_word() {
        check(&[
            ("Magazziniere - Milano", "magazziniere"),
            ("Barista Reggio nell'Emilia", "barista"),
            ("Cameriere San Donato Milanese", "cameriere"),
            // Comuni whose names are words of labels.
            ("Istruttore di calcio", "istruttore di calcio"),
            ("Bagnino piscina", "bagnino piscina"),
        ]);
    }

    #[test]
    fn a_title_of_nothing_but_noise_stays_as_written() {
        check(&[("Cercasi part time", "cercasi part time"), ("", "")]);
    }
}
