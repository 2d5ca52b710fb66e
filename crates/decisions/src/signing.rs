//! Signed heads: the log's chain made unforgeable by whoever can write its file.
//!
//! The chain alone (SHA-256 links) shows that a record was changed only to someone who kept an
//! earlier head: a writer who recomputes every hash after an edit leaves a log that verifies.
//! So the service signs its head after each group it appends, with an Ed25519 key given to it
//! (`decisions_key` in the service configuration; `incrocio log keygen` makes one), and appends
//! the signed head to `heads.jsonl` beside the log, synced with the records:
//!
//! ```text
//! {"seq":812,"head":"sha256:…","at":"2026-12-07T10:00:00.123Z","key":"<public key, hex>","signature":"<hex>"}
//! ```
//!
//! The signature covers `incrocio decision log head v1\n{seq}\n{head}\n{at}`. A signed head
//! says: on `at`, the log's record `seq` had hash `head`. Rewriting any record up to `seq`
//! changes that hash, and a new signature needs the secret key. As with Certificate
//! Transparency's signed tree heads, an auditor copies signed heads somewhere the operator
//! cannot write, and `incrocio log verify --key PUBLIC --heads COPY` later checks that the log
//! still holds every one of them (`docs/decisions.md`).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use incrocio_core::error::{Error, Result};

/// The signed heads file inside a log directory.
pub const HEADS: &str = "heads.jsonl";

const DOMAIN: &str = "incrocio decision log head v1";

/// One signed head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedHead {
    /// The `seq` of the last record covered.
    pub seq: u64,
    /// That record's hash (for a checkpoint, the hash the chain goes on from).
    pub head: String,
    /// When it was signed (UTC, milliseconds).
    pub at: String,
    /// The public key that signs, hex.
    pub key: String,
    /// The Ed25519 signature, hex.
    pub signature: String,
}

fn message(seq: u64, head: &str, at: &str) -> Vec<u8> {
    format!("{DOMAIN}\n{seq}\n{head}\n{at}").into_bytes()
}

/// The service's signing key: 32 secret bytes, stored as 64 hex characters.
pub struct HeadKey(SigningKey);

impl std::fmt::Debug for HeadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HeadKey({})", self.public_hex())
    }
}

impl HeadKey {
    /// Reads a key file written by [`HeadKey::create`].
    pub fn read(path: &Path) -> Result<HeadKey> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let bytes = hex::decode(text.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| {
                Error::data(
                    path,
                    "not a decision-log key: 64 hex characters (`incrocio log keygen` makes one)",
                )
            })?;
        Ok(HeadKey(SigningKey::from_bytes(&bytes)))
    }

    /// Makes a new key from the operating system's randomness and writes it to `path`, which
    /// must not exist (readable by its owner only, on Unix). Returns the key.
    pub fn create(path: &Path) -> Result<HeadKey> {
        use rand::RngCore;
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        let key = HeadKey(SigningKey::from_bytes(&seed));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(path).map_err(|e| Error::io(path, e))?;
        f.write_all(format!("{}\n", hex::encode(seed)).as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::io(path, e))?;
        Ok(key)
    }

    /// The public key, hex: what an auditor verifies with.
    pub fn public_hex(&self) -> String {
        hex::encode(self.0.verifying_key().as_bytes())
    }

    /// Signs that record `seq` has hash `head`, at `at`.
    pub fn sign(&self, seq: u64, head: &str, at: &str) -> SignedHead {
        let signature = self.0.sign(&message(seq, head, at));
        SignedHead {
            seq,
            head: head.to_owned(),
            at: at.to_owned(),
            key: self.public_hex(),
            signature: hex::encode(signature.to_bytes()),
        }
    }
}

/// A public key heads are checked with.
#[derive(Debug, Clone)]
pub struct HeadVerifier(VerifyingKey);

impl HeadVerifier {
    /// From 64 hex characters, or a file holding them.
    pub fn parse(text_or_path: &str) -> Result<HeadVerifier> {
        let text = match std::fs::read_to_string(text_or_path) {
            Ok(t) => t,
            Err(_) => text_or_path.to_owned(),
        };
        hex::decode(text.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .and_then(|b| VerifyingKey::from_bytes(&b).ok())
            .map(HeadVerifier)
            .ok_or_else(|| {
                Error::data(
                    "--key",
                    "not a public key: 64 hex characters, or a file holding them",
                )
            })
    }

    /// Whether `h` is signed by this key.
    pub fn check(&self, h: &SignedHead) -> bool {
        let Some(sig) = hex::decode(&h.signature)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
        else {
            return false;
        };
        h.key == hex::encode(self.0.as_bytes())
            && self
                .0
                .verify(
                    &message(h.seq, &h.head, &h.at),
                    &Signature::from_bytes(&sig),
                )
                .is_ok()
    }
}

/// The open heads file, appended to by the log's one writer.
#[derive(Debug)]
pub(crate) struct HeadsFile {
    key: HeadKey,
    file: File,
    path: PathBuf,
}

impl HeadsFile {
    /// Opens (creating) `dir/heads.jsonl` for appending heads signed with `key`.
    pub(crate) fn open(dir: &Path, key: HeadKey) -> Result<HeadsFile> {
        let path = dir.join(HEADS);
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        Ok(HeadsFile { key, file, path })
    }

    /// Signs and appends a head, synced.
    pub(crate) fn append(&mut self, seq: u64, head: &str, at: &str) -> Result<()> {
        let signed = self.key.sign(seq, head, at);
        let mut line =
            serde_json::to_vec(&signed).map_err(|e| Error::data(&self.path, e.to_string()))?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| Error::io(&self.path, e))
    }
}

/// Reads signed heads (JSON lines; a torn last line, never synced, is left out).
pub fn read_heads(path: &Path) -> Result<Vec<SignedHead>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    super::json_lines(path, &bytes, "a signed head")
}

/// What checking signed heads against a log found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeadsChecked {
    /// Signed heads checked against the log.
    pub checked: u64,
    /// Signed heads older than the log's first record (dropped by a compaction): not checkable.
    pub before_compaction: u64,
    /// The newest signed record's `seq`.
    pub last_signed_seq: Option<u64>,
    /// Records after it, not covered by a signature yet.
    pub unsigned_after: u64,
}

/// Why signed heads do not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeadBroken {
    /// A signature that this key did not make (or a head edited after signing).
    #[error("signed head {index} (seq {seq}): the signature is not this key's over this head")]
    BadSignature {
        /// 1-based position among the heads.
        index: usize,
        /// Its seq.
        seq: u64,
    },
    /// The log's record at a signed seq has another hash: the log was rewritten.
    #[error(
        "signed head {index}: record {seq} had hash {signed} when signed on {at}, the log now holds {found} — the log was rewritten"
    )]
    Rewritten {
        /// 1-based position among the heads.
        index: usize,
        /// The seq.
        seq: u64,
        /// When it was signed.
        at: String,
        /// The hash signed.
        signed: String,
        /// The hash the log holds.
        found: String,
    },
    /// A signed seq beyond the log's last record: records were removed from its end.
    #[error(
        "signed head {index}: record {seq} was signed on {at}, but the log ends at {last}: records were removed"
    )]
    Truncated {
        /// 1-based position among the heads.
        index: usize,
        /// The seq.
        seq: u64,
        /// When it was signed.
        at: String,
        /// The log's last seq.
        last: u64,
    },
}

/// Checks signed heads against a log's hashes by seq (`hashes[seq - first_seq]`, each the hash
/// the chain goes on from at that record).
pub fn check_heads(
    heads: &[SignedHead],
    first_seq: u64,
    hashes: &[String],
    key: &HeadVerifier,
) -> std::result::Result<HeadsChecked, HeadBroken> {
    let mut out = HeadsChecked {
        checked: 0,
        before_compaction: 0,
        last_signed_seq: None,
        unsigned_after: 0,
    };
    let last = first_seq + hashes.len() as u64;
    for (i, h) in heads.iter().enumerate() {
        let index = i + 1;
        if !key.check(h) {
            return Err(HeadBroken::BadSignature { index, seq: h.seq });
        }
        if h.seq < first_seq {
            out.before_compaction += 1;
            continue;
        }
        let Some(found) = hashes.get((h.seq - first_seq) as usize) else {
            return Err(HeadBroken::Truncated {
                index,
                seq: h.seq,
                at: h.at.clone(),
                last: last.saturating_sub(1),
            });
        };
        if *found != h.head {
            return Err(HeadBroken::Rewritten {
                index,
                seq: h.seq,
                at: h.at.clone(),
                signed: h.head.clone(),
                found: found.clone(),
            });
        }
        out.checked += 1;
        out.last_signed_seq = out.last_signed_seq.max(Some(h.seq));
    }
    out.unsigned_after = match out.last_signed_seq {
        Some(s) => last.saturating_sub(s + 1),
        None => hashes.len() as u64,
    };
    Ok(out)
}
