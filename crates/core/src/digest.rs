//! Content digests that tie every output to the exact model and input that produced it.

use sha2::{Digest, Sha256};

/// `sha256:<hex>` of a byte string (used for model files and whole requests).
pub fn sha256_tagged(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// `sha256:<hex>` of a value's JSON (`serde_json::to_vec`'s bytes, hashed as they are written):
/// the input digest of an answer. A value that cannot be encoded (no record type can fail, but
/// a digest of nothing must not pass for one) is an error naming the field `record`.
pub fn json_sha256_tagged<T: serde::Serialize + ?Sized>(
    value: &T,
) -> Result<String, crate::error::InputError> {
    let mut h = HashWriter::default();
    serde_json::to_writer(&mut h, value).map_err(|e| {
        crate::error::InputError::new(
            "record",
            crate::error::FieldReason::Inconsistent(format!(
                "cannot be encoded for its digest: {e}"
            )),
        )
    })?;
    Ok(h.finish_tagged())
}

/// The 64-bit digest of a record's canonical encoding, in one of the [`RecordHashFormat`]s.
pub type RecordHash = u64;

/// How a record's canonical encoding becomes a [`RecordHash`].
///
/// The encoding is the same in both (see [`RecordDigest`]); only the hash over it differs. A
/// single record's answer names its digest with the format (`sha256-64:…`); a batch output
/// names the format of its `input_digest` column in its metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordHashFormat {
    /// The first 8 bytes of the SHA-256 of the encoding, read big-endian: every single
    /// record's answer, and every batch output written before XXH3 came in.
    Sha256First64,
    /// XXH3-64 (seed 0) of the encoding: the batch's format. A record's digest, its encoding
    /// included, costs 86 ns against 232 ns in SHA-256 (criterion, `profiling/input_digest_*`).
    /// Not cryptographic: it detects a changed record (a chance change goes unnoticed with
    /// probability about 2^-64), not a record forged to collide.
    Xxh3_64,
}

impl RecordHashFormat {
    /// The format's name, as written in files and answers.
    pub fn name(self) -> &'static str {
        match self {
            RecordHashFormat::Sha256First64 => "sha256-64",
            RecordHashFormat::Xxh3_64 => "xxh3-64",
        }
    }

    /// The format named `name` ([`RecordHashFormat::name`]).
    pub fn from_name(name: &str) -> Option<RecordHashFormat> {
        [RecordHashFormat::Sha256First64, RecordHashFormat::Xxh3_64]
            .into_iter()
            .find(|f| f.name() == name)
    }

    /// The hash of an encoding in this format.
    pub fn hash(self, encoding: &[u8]) -> RecordHash {
        match self {
            RecordHashFormat::Sha256First64 => {
                let full = Sha256::digest(encoding);
                let mut out = [0u8; 8];
                out.copy_from_slice(&full[..8]);
                u64::from_be_bytes(out)
            }
            RecordHashFormat::Xxh3_64 => xxhash_rust::xxh3::xxh3_64(encoding),
        }
    }
}

/// An [`std::io::Write`] that hashes what is written to it (SHA-256), for digests of
/// serialized values without building the serialized text.
#[derive(Default)]
pub struct HashWriter(Sha256);

impl HashWriter {
    /// The SHA-256 of everything written.
    pub fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }

    /// `sha256:<hex>` of everything written.
    pub fn finish_tagged(self) -> String {
        format!("sha256:{}", hex::encode(self.0.finalize()))
    }
}

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Text form of a [`RecordHash`]: `sha256-64:<16 hex digits>`.
pub fn record_hash_text(h: RecordHash) -> String {
    format!("sha256-64:{h:016x}")
}

/// A streaming digest of a record's canonical binary encoding.
///
/// Each field is fed as its tag (its position in the schema), then a typed value: text as
/// length + bytes, numbers as little-endian fixed width, an absent value as a distinct marker.
/// No two different records share an encoding; the digest keeps the first 64 bits of SHA-256:
/// a changed record goes unnoticed with probability 2^-64, and the digest stores as one integer
/// per row for millions of rows.
pub struct RecordDigest(Vec<u8>);

impl Default for RecordDigest {
    fn default() -> Self {
        Self::new()
    }
}

const ABSENT: u8 = 0;
const PRESENT: u8 = 1;

impl RecordDigest {
    /// Starts a digest of encoding version 1.
    pub fn new() -> Self {
        Self::reusing(Vec::with_capacity(256))
    }

    /// Starts a digest in `buf` (cleared first), for callers that digest many records and keep
    /// one buffer: see [`RecordDigest::finish_keeping`].
    pub fn reusing(mut buf: Vec<u8>) -> Self {
        buf.clear();
        buf.extend_from_slice(b"incrocio-record-v1");
        RecordDigest(buf)
    }

    /// Feeds an optional text field.
    pub fn text(&mut self, tag: u8, v: Option<&str>) -> &mut Self {
        // A field's head in one copy: a batch encodes tens of millions of fields.
        match v {
            None => self.0.extend_from_slice(&[tag, ABSENT]),
            Some(s) => {
                let [a, b, c, d] = (s.len() as u32).to_le_bytes();
                self.0.extend_from_slice(&[tag, PRESENT, a, b, c, d]);
                self.0.extend_from_slice(s.as_bytes());
            }
        }
        self
    }

    /// Feeds an optional integer field.
    pub fn int(&mut self, tag: u8, v: Option<i64>) -> &mut Self {
        match v {
            None => self.0.extend_from_slice(&[tag, ABSENT]),
            Some(x) => {
                let [a, b, c, d, e, f, g, h] = x.to_le_bytes();
                self.0
                    .extend_from_slice(&[tag, PRESENT, a, b, c, d, e, f, g, h]);
            }
        }
        self
    }

    /// Feeds an optional flag.
    pub fn flag(&mut self, tag: u8, v: Option<bool>) -> &mut Self {
        self.0
            .extend_from_slice(&[tag, v.map_or(ABSENT, |b| 2 + u8::from(b))]);
        self
    }

    /// Finishes the digest in [`RecordHashFormat::Sha256First64`].
    pub fn finish(self) -> RecordHash {
        self.finish_keeping(RecordHashFormat::Sha256First64).0
    }

    /// Finishes the digest in `format` and gives its buffer back, for the next
    /// [`RecordDigest::reusing`].
    pub fn finish_keeping(self, format: RecordHashFormat) -> (RecordHash, Vec<u8>) {
        // One pass over the whole encoding: many small `update`s cost more than the hashing
        // itself for records this size.
        (format.hash(&self.0), self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The streamed digest is the digest of `to_vec`'s bytes; a value serde cannot encode (a
    /// map with non-string keys) is refused, not hashed as nothing.
    #[test]
    fn the_json_digest_is_the_digest_of_the_json() {
        let v = serde_json::json!({"id": "C1", "x": [1, 2.5, "tre"]});
        let bytes = serde_json::to_vec(&v).unwrap();
        assert_eq!(json_sha256_tagged(&v).unwrap(), sha256_tagged(&bytes));
        let bad: std::collections::BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into_iter().collect();
        let e = json_sha256_tagged(&bad).unwrap_err();
        assert_eq!(e.field, "record");
        assert_ne!(json_sha256_tagged(&v).unwrap(), sha256_tagged(b""));
    }

    /// Both formats hash the same encoding; each is checked against an independent value: the
    /// SHA-256 of `abc` (FIPS 180-2) read big-endian, and XXH3-64 of the empty input and of
    /// `abc` as the reference implementation's test vectors give them.
    #[test]
    fn record_hash_formats() {
        use RecordHashFormat::*;
        assert_eq!(Sha256First64.hash(b"abc"), 0xba78_16bf_8f01_cfea);
        assert_eq!(Xxh3_64.hash(b""), 0x2d06_8005_38d3_94c2);
        assert_eq!(Xxh3_64.hash(b"abc"), 0x78af_5f94_892f_3950);
        for f in [Sha256First64, Xxh3_64] {
            assert_eq!(RecordHashFormat::from_name(f.name()), Some(f));
        }
        assert_eq!(RecordHashFormat::from_name("sha256"), None);
    }

    #[test]
    fn known_sha256() {
        assert_eq!(
            sha256_tagged(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn encoding_separates_fields_and_absence() {
        let h = |f: &dyn Fn(&mut RecordDigest)| {
            let mut d = RecordDigest::new();
            f(&mut d);
            d.finish()
        };
        assert_ne!(
            h(&|d| {
                d.text(0, Some("ab")).text(1, Some("c"));
            }),
            h(&|d| {
                d.text(0, Some("a")).text(1, Some("bc"));
            })
        );
        assert_ne!(
            h(&|d| {
                d.text(0, None);
            }),
            h(&|d| {
                d.text(0, Some(""));
            })
        );
        assert_ne!(
            h(&|d| {
                d.flag(0, None);
            }),
            h(&|d| {
                d.flag(0, Some(false));
            })
        );
        let text = record_hash_text(h(&|d| {
            d.int(3, Some(7));
        }));
        assert!(text.starts_with("sha256-64:") && text.len() == 26, "{text}");
    }

    #[test]
    fn encoding_is_the_documented_byte_stream() {
        let mut d = RecordDigest::new();
        d.text(0, Some("P1"))
            .int(3, None)
            .int(4, Some(-2))
            .flag(10, Some(true));
        let mut bytes = b"incrocio-record-v1".to_vec();
        bytes.extend([0, 1, 2, 0, 0, 0, b'P', b'1', 3, 0, 4, 1]);
        bytes.extend((-2i64).to_le_bytes());
        bytes.extend([10, 3]);
        let full = Sha256::digest(&bytes);
        assert_eq!(
            d.finish(),
            u64::from_be_bytes(full[..8].try_into().unwrap())
        );
    }
}
