//! Lookups by short code without string hashing or compares: every code the hot paths look up
//! (ISTAT comune, cadastral, province, citizenship, titolo di studio, questionnaire codes) fits
//! in 15 bytes, so it is one integer to hash and compare.

use rustc_hash::FxHashMap;

/// A code of at most 15 bytes as one integer: its bytes, little-endian, with its length in
/// the top byte (so `A` and `A\0` differ). A longer code has no key.
pub fn pack(code: &str) -> Option<u128> {
    let b = code.as_bytes();
    if b.len() > 15 {
        return None;
    }
    let mut x = [0u8; 16];
    x[..b.len()].copy_from_slice(b);
    x[15] = b.len() as u8;
    Some(u128::from_le_bytes(x))
}

/// A map from codes to values: codes of at most 15 bytes by their packed key, longer ones by
/// their text. The same answers as a map keyed by `String`.
#[derive(Debug, Clone)]
pub struct CodeMap<V> {
    short: FxHashMap<u128, usize>,
    long: FxHashMap<String, usize>,
    /// Every code with its value, in first-insertion order.
    entries: Vec<(String, V)>,
}

impl<V> Default for CodeMap<V> {
    fn default() -> Self {
        CodeMap {
            short: FxHashMap::default(),
            long: FxHashMap::default(),
            entries: Vec::new(),
        }
    }
}

impl<V: Copy> CodeMap<V> {
    /// Sets the value of `code` (replacing an earlier one).
    pub fn insert(&mut self, code: &str, value: V) {
        let next = self.entries.len();
        let at = match pack(code) {
            Some(k) => *self.short.entry(k).or_insert(next),
            None => *self.long.entry(code.to_owned()).or_insert(next),
        };
        if at == next {
            self.entries.push((code.to_owned(), value));
        } else {
            self.entries[at].1 = value;
        }
    }

    /// The value of `code`.
    pub fn get(&self, code: &str) -> Option<V> {
        let at = match pack(code) {
            Some(k) => self.short.get(&k),
            None => self.long.get(code),
        };
        at.map(|&i| self.entries[i].1)
    }

    /// Every code with its value, in first-insertion order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, V)> + '_ {
        self.entries.iter().map(|(k, v)| (k.as_str(), *v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_codes_answer_as_strings_do() {
        let mut m = CodeMap::default();
        let codes = [
            "",
            "A",
            "A\0",
            "058091",
            "H501",
            "TO",
            "001",
            "201",
            "000",
            "12345678",
            "fifteen_bytes__",
            "sixteen_bytes___",
            "in_cerca_prima_occupazione",
            "città",
        ];
        for (i, c) in codes.iter().enumerate() {
            m.insert(c, i);
        }
        for (i, c) in codes.iter().enumerate() {
            assert_eq!(m.get(c), Some(i), "{c:?}");
        }
        for miss in [
            "a",
            "A\0\0",
            "05809",
            "0580911",
            "sixteen_bytes__",
            "fifteen_bytes___",
        ] {
            assert_eq!(m.get(miss), None, "{miss:?}");
        }
        let want: Vec<(&str, usize)> = codes.iter().enumerate().map(|(i, c)| (*c, i)).collect();
        assert_eq!(m.entries().collect::<Vec<_>>(), want);
        // A second insert replaces the value and keeps the place.
        m.insert("TO", 99);
        assert_eq!(m.get("TO"), Some(99));
        assert_eq!(m.entries().nth(5), Some(("TO", 99)));
    }
}
