//! Free text kept outside the chain, so that it can be erased.
//!
//! An operator's note may name a person or hold a codice fiscale, and a hash-chained log can
//! never lose a byte. So a decision's free text is not in its record: the record holds a salted
//! digest of it (`note_digest`, SHA-256 of a random 16-byte salt and the text), and the text
//! with its salt goes to `notes.jsonl` beside the log, written and synced before the record:
//!
//! ```text
//! {"digest":"sha256:…","salt":"<hex>","text":"…"}
//! ```
//!
//! An erasure request (GDPR art. 17, where it applies) removes the line ([`erase`]): the chain
//! still verifies, and without the salt the digest left in the record cannot be matched
//! against a guessed text.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use incrocio_core::error::{Error, Result};

/// The notes file inside a log directory.
pub const NOTES: &str = "notes.jsonl";

/// A text kept beside the log, and the digest its record holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeptText {
    /// `sha256:` of the salt bytes followed by the text's UTF-8 bytes.
    pub digest: String,
    /// 16 random bytes, hex.
    pub salt: String,
    /// The text.
    pub text: String,
}

impl KeptText {
    /// Salts and digests `text`.
    pub fn new(text: &str) -> KeptText {
        use rand::RngCore;
        let mut salt = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        KeptText::with_salt(text, salt)
    }

    fn with_salt(text: &str, salt: [u8; 16]) -> KeptText {
        let mut bytes = salt.to_vec();
        bytes.extend_from_slice(text.as_bytes());
        KeptText {
            digest: incrocio_core::digest::sha256_tagged(&bytes),
            salt: hex::encode(salt),
            text: text.to_owned(),
        }
    }

    /// Whether the digest is the salt's and the text's (the line was not edited).
    pub fn holds(&self) -> bool {
        hex::decode(&self.salt)
            .ok()
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .is_some_and(|salt| KeptText::with_salt(&self.text, salt).digest == self.digest)
    }
}

/// Appends texts to `dir/notes.jsonl`, synced (before the records that name them).
pub(crate) fn keep<'a>(dir: &Path, texts: impl Iterator<Item = &'a KeptText>) -> Result<()> {
    let mut out = Vec::new();
    for t in texts {
        serde_json::to_writer(&mut out, t).map_err(|e| Error::data(NOTES, e.to_string()))?;
        out.push(b'\n');
    }
    if out.is_empty() {
        return Ok(());
    }
    let path = dir.join(NOTES);
    let mut f = OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    f.write_all(&out)
        .and_then(|()| f.sync_data())
        .map_err(|e| Error::io(&path, e))
}

/// The texts kept in `dir` (a torn last line, never synced, left out; none when the file is
/// absent).
pub fn read(dir: &Path) -> Result<Vec<KeptText>> {
    let path = dir.join(NOTES);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&path, e)),
    };
    super::json_lines(&path, &bytes, "a kept text")
}

/// Removes the texts whose digest is one of `digests` from `dir/notes.jsonl` (rewritten
/// atomically); returns how many were removed. The records that name them are unchanged and
/// the chain still verifies. Not while a server appends to the log.
pub fn erase(dir: &Path, digests: &[String]) -> Result<usize> {
    let path = dir.join(NOTES);
    let all = read(dir)?;
    let (gone, kept): (Vec<_>, Vec<_>) = all.into_iter().partition(|t| digests.contains(&t.digest));
    if gone.is_empty() {
        return Ok(0);
    }
    incrocio_core::files::atomic_write(&path, |w| {
        for t in &kept {
            serde_json::to_writer(&mut *w, t).map_err(|e| Error::data(&path, e.to_string()))?;
            w.write_all(b"\n").map_err(|e| Error::io(&path, e))?;
        }
        Ok(())
    })?;
    Ok(gone.len())
}

/// The digests of the texts the records of `person` name (an override's `note_digest`).
pub fn digests_of(dir: &Path, person: &str) -> Result<Vec<String>> {
    let records = super::records_of(
        dir,
        person,
        usize::MAX,
        &incrocio_core::cancel::Cancel::never(),
    )?;
    Ok(records
        .iter()
        .filter_map(|r| {
            r.decision
                .result
                .get("note_digest")?
                .as_str()
                .map(str::to_owned)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_holds_its_text_and_salt_only() {
        let t = KeptText::new("Mario Rossi, RSSMRA80A01H501U");
        assert!(t.holds());
        let mut edited = t.clone();
        edited.text.push('!');
        assert!(!edited.holds());
        // Salted: the same text twice gives two digests, so a guess cannot be checked
        // against a record once the salt is erased.
        assert_ne!(KeptText::new("x").digest, KeptText::new("x").digest);
    }
}
