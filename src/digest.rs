//! Content digests that tie every output to the exact model and input that produced it.

use sha2::{Digest, Sha256};

/// `sha256:<hex>` of a byte string (used for model files and whole requests).
pub fn sha256_tagged(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The 128-bit digest of a record's canonical encoding.
pub type RecordHash = [u8; 16];

/// Text form of a [`RecordHash`]: `sha256-128:<32 hex digits>`.
pub fn record_hash_text(h: &RecordHash) -> String {
    let mut buf = [0u8; 32];
    format!("sha256-128:{}", record_hash_hex(h, &mut buf))
}

/// Hex of a [`RecordHash`] into a caller's buffer (no allocation, for batch columns).
pub fn record_hash_hex<'a>(h: &RecordHash, buf: &'a mut [u8; 32]) -> &'a str {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in h.iter().enumerate() {
        buf[2 * i] = HEX[usize::from(b >> 4)];
        buf[2 * i + 1] = HEX[usize::from(b & 0xf)];
    }
    // Only ASCII hex digits were written.
    std::str::from_utf8(buf).unwrap_or_default()
}

/// A streaming digest of a record's canonical binary encoding.
///
/// Each field is fed as its tag (its position in the schema), then a typed value: text as
/// length + bytes, numbers as little-endian fixed width, an absent value as a distinct marker.
/// No two different records share an encoding; the digest is the first 128 bits of SHA-256,
/// ample to detect a changed record and half the size to store for millions of rows.
pub struct RecordDigest(Sha256);

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
        let mut h = Sha256::new();
        h.update(b"incrocio-record-v1");
        RecordDigest(h)
    }

    /// Feeds an optional text field.
    pub fn text(&mut self, tag: u8, v: Option<&str>) -> &mut Self {
        match v {
            None => self.0.update([tag, ABSENT]),
            Some(s) => {
                self.0.update([tag, PRESENT]);
                self.0.update((s.len() as u32).to_le_bytes());
                self.0.update(s.as_bytes());
            }
        }
        self
    }

    /// Feeds an optional integer field.
    pub fn int(&mut self, tag: u8, v: Option<i64>) -> &mut Self {
        match v {
            None => self.0.update([tag, ABSENT]),
            Some(x) => {
                self.0.update([tag, PRESENT]);
                self.0.update(x.to_le_bytes());
            }
        }
        self
    }

    /// Feeds an optional flag.
    pub fn flag(&mut self, tag: u8, v: Option<bool>) -> &mut Self {
        self.0.update([tag, v.map_or(ABSENT, |b| 2 + u8::from(b))]);
        self
    }

    /// Finishes the digest.
    pub fn finish(self) -> RecordHash {
        let full = self.0.finalize();
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let text = record_hash_text(&h(&|d| {
            d.int(3, Some(7));
        }));
        assert!(text.starts_with("sha256-128:") && text.len() == 43);
    }
}
