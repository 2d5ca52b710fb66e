//! The Italian text analyzer of CVs and vacancies, and its stemmer with a memo.

use std::borrow::Cow;

use rustc_hash::FxHashMap;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, StopWordFilter,
    TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// Words one analyzer remembers the stem of; past this, words are stemmed every time.
const MEMO_WORDS: usize = 1 << 16;

/// The Italian analyzer: words, at most 40 bytes, lower case, accents folded, Italian stop words
/// removed, Snowball Italian stemmer.
pub fn italian_analyzer() -> TextAnalyzer {
    italian_chain(MemoStemmer)
}

/// The Italian chain of filters, ending with `stemmer`.
fn italian_chain<S: TokenFilter>(stemmer: S) -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser);
    match StopWordFilter::new(Language::Italian) {
        Some(stop) => builder
            .filter(stop)
            .filter(AsciiFoldingFilter)
            .filter(stemmer)
            .build(),
        None => builder.filter(AsciiFoldingFilter).filter(stemmer).build(),
    }
}

/// Tantivy's Snowball Italian stemmer (the same `frostem` algorithm, so the same stems) that
/// remembers the stems of the words it has met, up to [`MEMO_WORDS`] per analyzer. A CV's
/// words are mostly the taxonomy's labels and common job titles, met again and again: building
/// an index of a million CVs stemmed each of them anew, about a tenth of the build's work.
/// Each clone of an analyzer (tantivy clones one per indexing thread) has its own memo: no
/// lock, and the stems do not depend on which clone met a word first.
#[derive(Clone, Copy, Debug, Default)]
pub struct MemoStemmer;

impl TokenFilter for MemoStemmer {
    type Tokenizer<T: Tokenizer> = MemoStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> MemoStemmerFilter<T> {
        MemoStemmerFilter {
            inner: tokenizer,
            memo: FxHashMap::default(),
        }
    }
}

/// [`MemoStemmer`] over a tokenizer.
#[derive(Clone)]
pub struct MemoStemmerFilter<T> {
    inner: T,
    memo: FxHashMap<Box<str>, Box<str>>,
}

impl<T: Tokenizer> Tokenizer for MemoStemmerFilter<T> {
    type TokenStream<'a> = MemoStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MemoStemmerStream {
            tail: self.inner.token_stream(text),
            memo: &mut self.memo,
            stemmer: frostem::Stemmer::new(frostem::Algorithm::Italian),
        }
    }
}

/// The token stream of a [`MemoStemmerFilter`].
pub struct MemoStemmerStream<'a, S> {
    tail: S,
    memo: &'a mut FxHashMap<Box<str>, Box<str>>,
    stemmer: frostem::Stemmer,
}

impl<S: TokenStream> TokenStream for MemoStemmerStream<'_, S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if let Some(stem) = self.memo.get(token.text.as_str()) {
            token.text.clear();
            token.text.push_str(stem);
            return true;
        }
        let stem: Box<str> = match self.stemmer.stem(&token.text) {
            Cow::Borrowed(s) => s.into(),
            Cow::Owned(s) => s.into(),
        };
        let word = std::mem::take(&mut token.text);
        token.text.push_str(&stem);
        if self.memo.len() < MEMO_WORDS {
            self.memo.insert(word.into_boxed_str(), stem);
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use incrocio_taxonomy::Taxonomy;
    use tantivy::tokenizer::Stemmer;

    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut out = Vec::new();
        let mut stream = analyzer.token_stream(text);
        while let Some(t) = stream.next() {
            out.push((t.text.clone(), t.offset_from, t.offset_to, t.position));
        }
        out
    }

    /// Tantivy's own chain with its own stemmer, as the analyzer was before the memo.
    fn tantivys() -> TextAnalyzer {
        italian_chain(Stemmer::new(Language::Italian))
    }

    /// Every occupation label of the bundled taxonomy, twice over (the
    /// second time from the memo), gives tantivy's tokens: same stems, offsets and positions.
    #[test]
    fn the_memo_gives_tantivys_stems_first_time_and_again() {
        let t = Taxonomy::bundled();
        let mut memo = italian_analyzer();
        let mut plain = tantivys();
        let mut words = 0;
        for round in 0..2 {
            for o in &t.occupations {
                let text = o.label();
                let expected = tokens(&mut plain, text);
                assert_eq!(tokens(&mut memo, text), expected, "round {round}: {text}");
                words += expected.len();
            }
        }
        assert!(words > 10_000, "{words} words");
        // Accents and case go before the stem, as in tantivy's chain.
        assert_eq!(
            tokens(&mut memo, "Operatrici SOCIO-sanitarie, più città")
                .into_iter()
                .map(|t| t.0)
                .collect::<Vec<_>>(),
            tokens(&mut plain, "Operatrici SOCIO-sanitarie, più città")
                .into_iter()
                .map(|t| t.0)
                .collect::<Vec<_>>()
        );
    }

    /// Past its size the memo stops growing and words are still stemmed right.
    #[test]
    fn a_full_memo_still_stems() {
        let mut memo = italian_analyzer();
        let mut plain = tantivys();
        let text: String = (0..MEMO_WORDS + 500)
            .map(|i| format!("lavorator{i}i cuochi{i} "))
            .collect();
        assert_eq!(tokens(&mut memo, &text), tokens(&mut plain, &text));
        assert_eq!(tokens(&mut memo, &text), tokens(&mut plain, &text));
    }
}
