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
    // Byte by byte: codes are 2–6 bytes, shorter than a call to `memcpy`.
    let mut x = (b.len() as u128) << 120;
    for (i, &c) in b.iter().enumerate() {
        x |= u128::from(c) << (8 * i);
    }
    Some(x)
}

/// A map from codes to values: codes of at most 15 bytes by their packed key, longer ones by
/// their text. The same answers as a map keyed by `String`. A lookup reads the value from the
/// hash table itself (with its place in `entries`), not through a second array.
#[derive(Debug, Clone)]
pub struct CodeMap<V> {
    short: FxHashMap<u128, (V, usize)>,
    long: FxHashMap<String, (V, usize)>,
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
        let slot = match pack(code) {
            Some(k) => self.short.entry(k).or_insert((value, next)),
            None => self.long.entry(code.to_owned()).or_insert((value, next)),
        };
        slot.0 = value;
        if slot.1 == next {
            self.entries.push((code.to_owned(), value));
        } else {
            self.entries[slot.1].1 = value;
        }
    }

    /// The value of `code`.
    pub fn get(&self, code: &str) -> Option<V> {
        let slot = match pack(code) {
            Some(k) => self.short.get(&k),
            None => self.long.get(code),
        };
        slot.map(|&(v, _)| v)
    }

    /// Every code with its value, in first-insertion order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, V)> + '_ {
        self.entries.iter().map(|(k, v)| (k.as_str(), *v))
    }
}

/// The value of a six-digit code (`058091`) as a number, if it is one: six ASCII digits.
fn six_digits(code: &str) -> Option<u32> {
    let b: &[u8; 6] = code.as_bytes().try_into().ok()?;
    b.iter().try_fold(0u32, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
    })
}

/// A map from codes to small values, answering six-digit codes (`PPPCCC`: ISTAT comune codes,
/// a province's three digits then a progressive number) from a dense table per three-digit
/// prefix and any other code from a [`CodeMap`]. The same answers as the [`CodeMap`] alone.
///
/// Why: the comune of domicile is looked up once per person in a re-profiling, at random among
/// ~7,900 codes. A hash map of them spans ~0.8 MB (buckets and entries), so most lookups missed
/// the cache twice (8–9% of the run's cycles); the dense table is ~40 KB.
#[derive(Debug, Clone, Default)]
pub struct DigitMap {
    /// Per prefix `PPP` (0–999): where its progressive numbers start in `values`, and how many
    /// places it has (its largest number + 1; 0 = no code with this prefix).
    prefixes: Vec<(u32, u16)>,
    /// The value + 1 of each place (0 = no code there).
    values: Vec<u16>,
    /// The codes that are not six digits.
    others: CodeMap<u16>,
}

impl DigitMap {
    /// A map of these codes and values (a later duplicate replaces the earlier value).
    /// `None` when a value is `u16::MAX` (reserved).
    pub fn new<'a>(codes: impl IntoIterator<Item = (&'a str, u16)>) -> Option<DigitMap> {
        let mut digits: Vec<(u32, u16)> = Vec::new();
        let mut others = CodeMap::default();
        for (code, value) in codes {
            if value == u16::MAX {
                return None;
            }
            match six_digits(code) {
                Some(n) => digits.push((n, value)),
                None => others.insert(code, value),
            }
        }
        let mut places = vec![0u16; 1000];
        for &(n, _) in &digits {
            let (p, c) = ((n / 1000) as usize, (n % 1000) as u16);
            places[p] = places[p].max(c + 1);
        }
        let mut prefixes = Vec::with_capacity(1000);
        let mut start = 0u32;
        for &len in &places {
            prefixes.push((start, len));
            start += u32::from(len);
        }
        // In input order, so a later duplicate replaces the earlier value.
        let mut values = vec![0u16; start as usize];
        for (n, value) in digits {
            let (start, _) = prefixes[(n / 1000) as usize];
            values[start as usize + (n % 1000) as usize] = value + 1;
        }
        Some(DigitMap {
            prefixes,
            values,
            others,
        })
    }

    /// The value of `code`.
    pub fn get(&self, code: &str) -> Option<u16> {
        let Some(n) = six_digits(code) else {
            return self.others.get(code);
        };
        let (start, len) = *self.prefixes.get((n / 1000) as usize)?;
        let c = n % 1000;
        if c >= u32::from(len) {
            return None;
        }
        self.values[(start + c) as usize].checked_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_map_answers_as_the_code_map() {
        let codes = [
            ("001001", 0u16),
            ("001272", 1),
            ("058091", 2),
            ("111107", 3),
            ("999999", 4),
            ("000000", 5),
            ("05809", 6),
            ("H501", 7),
            ("0580910", 8),
            ("058091", 9), // replaces 2
        ];
        let d = DigitMap::new(codes.iter().map(|&(c, v)| (c, v))).expect("no reserved value");
        let mut m = CodeMap::default();
        for &(c, v) in &codes {
            m.insert(c, v);
        }
        let probes = [
            "001001",
            "001272",
            "001271",
            "001273",
            "058091",
            "058092",
            "111107",
            "999999",
            "000000",
            "000001",
            "05809",
            "H501",
            "0580910",
            "",
            "58091",
            "05809a",
            "\u{660}58091",
            "+58091",
            " 58091",
            "999998",
            "500500",
        ];
        for p in probes {
            assert_eq!(d.get(p), m.get(p), "{p:?}");
        }
        assert_eq!(d.get("058091"), Some(9));
        assert_eq!(d.get("001271"), None);
        // An empty map answers nothing (the default, before the table is built).
        assert_eq!(DigitMap::default().get("058091"), None);
        assert!(DigitMap::new([("001001", u16::MAX)]).is_none());
    }

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
