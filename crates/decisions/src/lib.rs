//! The decision log: one append-only, hash-chained record of every decision the engine makes
//! about people — a profile, a rosa, a graduatoria, a riesame, a congruity verdict, an
//! operator's override — for the record-keeping of art. 12 of the AI Act and a person's access
//! request under art. 15 GDPR.
//!
//! A log is a directory holding `decisions.jsonl`: one JSON object per line,
//!
//! ```text
//! {"seq":7,"at":"2026-12-02T10:00:00.123Z","prev":"sha256:…","kind":"profile",…,"hash":"sha256:…"}
//! ```
//!
//! where `hash` is the SHA-256 of the line's bytes up to (not including) `,"hash":` plus the
//! closing `}`, and `prev` is the `hash` of the record before (64 zeros for the first, or the
//! checkpoint's after a compaction). Changing any byte of a record breaks its own hash or the
//! next record's `prev`; [`verify`] names the first record that does not hold.
//!
//! Records hold only what the decision needs: ids, digests, model ids and versions, classes,
//! positions and verdicts — never a person's data. Appends are synced (`fdatasync`) before
//! [`DecisionLog::append`] returns, so a decision that was answered survives a `kill -9`; a
//! line cut short by a crash mid-append was never acknowledged and is cut off on open.

#![forbid(unsafe_code)]

pub mod esiti;
pub mod indicators;
pub mod notes;
pub mod overrides;
pub mod signing;
pub mod writer;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use incrocio_core::error::{Error, Result};

/// The log file inside a log directory.
pub const FILE: &str = "decisions.jsonl";

/// The `prev` of the first record.
pub const GENESIS: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// What kind of decision a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A profiling class computed.
    Profile,
    /// A rosa sent for a vacancy.
    Rosa,
    /// A graduatoria computed.
    Graduatoria,
    /// A riesame computed.
    Riesame,
    /// Offerta congrua verdicts for a person.
    Congruity,
    /// An operator's override of a profiling class.
    Override,
    /// An employer's outcome for a person of a rosa.
    Esito,
    /// The start of a compacted log: what was dropped.
    Checkpoint,
}

/// The model or rule set that answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ModelRef {
    /// `id@vN`.
    pub id: String,
    /// `sha256:` of its file.
    pub digest: String,
}

/// A decision, as the engine reports it to the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Decision {
    /// What kind.
    pub kind: Kind,
    /// Who asked: an API key id, or `operator:<id>`, or `cli`.
    pub actor: String,
    /// What was asked: the digest of the request (or of the records it concerned).
    pub input_digest: String,
    /// What answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelRef>,
    /// The id the decision is known by (a rosa id, a vacancy id, a graduatoria's digest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The people it concerned, by id.
    pub people: Vec<String>,
    /// The result: classes, ranked ids, verdicts — ids, digests, classes and positions only.
    pub result: serde_json::Value,
    /// Free text the result names by digest, kept beside the log, outside the chain
    /// ([`notes`]): written before the record, erasable after.
    #[serde(skip)]
    #[schemars(skip)]
    pub texts: Vec<notes::KeptText>,
}

/// A LEP of DM 4/2018 Allegato B and its SAP activity code
/// (`data/codici/lep-decisioni.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Lep {
    /// The LEP letter.
    pub lep: String,
    /// The SAP activity code.
    pub sap: String,
}

#[derive(Deserialize)]
struct LepFile {
    kinds: std::collections::BTreeMap<String, LepEntry>,
}

#[derive(Deserialize)]
struct LepEntry {
    lep: String,
    sap: String,
}

impl Kind {
    /// The LEP and SAP code this kind of decision serves (`data/codici/lep-decisioni.toml`,
    /// read once).
    pub fn lep(self) -> Option<Lep> {
        static TABLE: std::sync::OnceLock<Vec<(Kind, Lep)>> = std::sync::OnceLock::new();
        let table = TABLE.get_or_init(|| {
            // The file is compiled in and checked by a test: a bad entry cannot reach a user.
            toml::from_str::<LepFile>(include_str!("../../../data/codici/lep-decisioni.toml"))
                .map(|f| {
                    f.kinds
                        .into_iter()
                        .filter_map(|(k, e)| {
                            let kind = serde_json::from_value(serde_json::Value::String(k)).ok()?;
                            Some((
                                kind,
                                Lep {
                                    lep: e.lep,
                                    sap: e.sap,
                                },
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default()
        });
        table
            .iter()
            .find(|(k, _)| *k == self)
            .map(|(_, l)| l.clone())
    }
}

/// A record of the log: a decision with its place in the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Record {
    /// 1-based position in the log (kept across compactions).
    pub seq: u64,
    /// When it was recorded (UTC, milliseconds).
    pub at: String,
    /// The hash of the record before.
    pub prev: String,
    /// The LEP the decision serves and its SAP activity code (DM 4/2018 Allegato B); none for
    /// a kind the table gives no LEP of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lep: Option<Lep>,
    /// The decision.
    #[serde(flatten)]
    pub decision: Decision,
    /// SHA-256 of this record's line up to `,"hash":`, plus `}`.
    pub hash: String,
}

/// Where a decision went: its sequence number and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Receipt {
    /// The record's `seq`.
    pub seq: u64,
    /// The record's `hash`.
    pub hash: String,
}

#[derive(Serialize)]
struct Unsealed<'a> {
    seq: u64,
    at: &'a str,
    prev: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    lep: Option<Lep>,
    #[serde(flatten)]
    decision: &'a Decision,
}

/// The line of a record (without the newline) and its hash.
fn seal(seq: u64, at: &str, prev: &str, decision: &Decision) -> Result<(Vec<u8>, String)> {
    let mut body = serde_json::to_vec(&Unsealed {
        seq,
        at,
        prev,
        lep: decision.kind.lep(),
        decision,
    })
    .map_err(|e| Error::data("decision record", e))?;
    // body ends with `}`: the hash covers it as written.
    let hash = incrocio_core::digest::sha256_tagged(&body);
    body.pop();
    body.extend_from_slice(b",\"hash\":\"");
    body.extend_from_slice(hash.as_bytes());
    body.extend_from_slice(b"\"}");
    Ok((body, hash))
}

/// Why a log does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    /// A line is not a record.
    #[error("record at line {line}: not a decision record ({reason})")]
    Unreadable {
        /// 1-based line.
        line: usize,
        /// Why.
        reason: String,
    },
    /// A record's bytes do not match its hash: it was changed.
    #[error(
        "record {seq} (line {line}): its content does not match its hash — it was changed after it was written"
    )]
    Altered {
        /// The record's `seq`.
        seq: u64,
        /// 1-based line.
        line: usize,
    },
    /// A record's `prev` is not the hash of the record before: one was changed, removed or
    /// inserted.
    #[error(
        "record {seq} (line {line}): its `prev` is not the hash of the record before — a record was removed, inserted or changed before it"
    )]
    Unchained {
        /// The record's `seq`.
        seq: u64,
        /// 1-based line.
        line: usize,
    },
    /// Sequence numbers do not follow each other.
    #[error("record at line {line}: seq {seq}, expected {expected}")]
    OutOfSequence {
        /// 1-based line.
        line: usize,
        /// Found.
        seq: u64,
        /// Expected.
        expected: u64,
    },
}

/// Checks one line: the record and the hash its bytes give.
fn check_line(line: &[u8], number: usize) -> std::result::Result<Record, Broken> {
    let unreadable = |reason: String| Broken::Unreadable {
        line: number,
        reason,
    };
    let record: Record = serde_json::from_slice(line).map_err(|e| unreadable(e.to_string()))?;
    let marker = b",\"hash\":\"";
    let cut = line
        .windows(marker.len())
        .rposition(|w| w == marker)
        .ok_or_else(|| unreadable("no hash".into()))?;
    let mut body = line[..cut].to_vec();
    body.push(b'}');
    if incrocio_core::digest::sha256_tagged(&body) != record.hash || !line.ends_with(b"\"}") {
        return Err(Broken::Altered {
            seq: record.seq,
            line: number,
        });
    }
    Ok(record)
}

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// Records checked.
    pub records: u64,
    /// The first record's `seq` (after a compaction, the checkpoint's).
    pub first_seq: u64,
    /// The last record's hash: publish it elsewhere to detect a truncated log.
    pub head: String,
    /// Bytes after the last newline: a line a crash cut short while it was being appended,
    /// never acknowledged, so not part of the log (opening the log cuts them off).
    pub torn_bytes: u64,
}

/// An open decision log, positioned for appending.
#[derive(Debug)]
pub struct DecisionLog {
    path: PathBuf,
    file: File,
    next_seq: u64,
    head: String,
    /// With a signing key: where each group's head is signed.
    heads: Option<signing::HeadsFile>,
}

impl DecisionLog {
    /// Opens the log in `dir`, creating the directory and an empty log when missing. The whole
    /// chain is verified; a torn last line (a crash mid-append: never acknowledged) is cut
    /// off; any other defect is an error naming the record.
    pub fn open(dir: &Path) -> Result<DecisionLog> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let path = dir.join(FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| Error::io(&path, e))?;
        // A last line without its newline was being written when the process died: the
        // same rule as `verify_bytes`, which leaves it out; here it is cut off.
        let torn = whole_lines(&bytes).1;
        let whole = bytes.len() - torn;
        if torn > 0 {
            tracing::warn!(bytes = torn, "decision log: cutting a torn last line");
            file.set_len(whole as u64)
                .and_then(|()| file.sync_all())
                .map_err(|e| Error::io(&path, e))?;
            bytes.truncate(whole);
        }
        let v = verify_bytes(&bytes).map_err(|b| Error::data(&path, b.to_string()))?;
        file.seek(SeekFrom::End(0))
            .map_err(|e| Error::io(&path, e))?;
        Ok(DecisionLog {
            path,
            file,
            next_seq: if v.records == 0 {
                1
            } else {
                v.first_seq + v.records
            },
            head: if v.records == 0 {
                GENESIS.to_owned()
            } else {
                v.head
            },
            heads: None,
        })
    }

    /// Opens the log in `dir` as [`DecisionLog::open`] does and, with `key`, signs its head
    /// after every group appended (`heads.jsonl`, [`signing`]).
    pub fn open_signed(dir: &Path, key: Option<signing::HeadKey>) -> Result<DecisionLog> {
        let mut log = DecisionLog::open(dir)?;
        if let Some(key) = key {
            log.heads = Some(signing::HeadsFile::open(dir, key)?);
        }
        Ok(log)
    }

    /// Appends decisions as one group, synced before returning; their receipts in order.
    pub fn append(&mut self, decisions: &[Decision], now: DateTime<Utc>) -> Result<Vec<Receipt>> {
        let at = now.to_rfc3339_opts(SecondsFormat::Millis, true);
        let mut out = Vec::new();
        let mut receipts = Vec::with_capacity(decisions.len());
        let (mut seq, mut head) = (self.next_seq, self.head.clone());
        // The free text first: a record never names a text that is not kept.
        if let Some(dir) = self.path.parent() {
            notes::keep(dir, decisions.iter().flat_map(|d| &d.texts))?;
        }
        for d in decisions {
            let (line, hash) = seal(seq, &at, &head, d)?;
            out.extend_from_slice(&line);
            out.push(b'\n');
            receipts.push(Receipt {
                seq,
                hash: hash.clone(),
            });
            head = hash;
            seq += 1;
        }
        self.file
            .write_all(&out)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| Error::io(&self.path, e))?;
        self.next_seq = seq;
        self.head = head;
        if let Some(h) = &mut self.heads
            && !decisions.is_empty()
        {
            h.append(seq - 1, &self.head, &at)?;
        }
        Ok(receipts)
    }

    /// The hash of the last record.
    pub fn head(&self) -> &str {
        &self.head
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The lines of a log (or of one of its side files): the newline-terminated ones, and how
/// many bytes follow the last newline (a line a crash cut short, never acknowledged). The one
/// rule every reader of these files follows.
fn whole_lines(bytes: &[u8]) -> (Vec<&[u8]>, usize) {
    let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let lines = bytes[..whole]
        .strip_suffix(b"\n")
        .map_or(Vec::new(), |b| b.split(|&c| c == b'\n').collect());
    (lines, bytes.len() - whole)
}

/// Verifies a log's bytes: every line a record, every hash and link right, seq consecutive.
///
/// One rule for reading a log, here and when it is opened for appending: the records are the
/// newline-terminated lines; bytes after the last newline are a line a crash cut short
/// (never acknowledged: reported in [`Verified::torn_bytes`], and cut off by
/// [`DecisionLog::open`]); a blank line is never written, so it is a defect like any other.
///
/// A checkpoint (the first record of a compacted log) links to the last record it dropped:
/// its `prev` is that record's hash, and the record after it links to the same hash, so the
/// kept records are byte-for-byte those written (their receipts stay valid).
pub fn verify_bytes(bytes: &[u8]) -> std::result::Result<Verified, Broken> {
    verify_each(bytes, |_| {})
}

/// [`verify_bytes`], calling `each` with the hash the chain goes on from at every record, in
/// order (a checkpoint's `prev`, every other record's `hash`).
fn verify_each(bytes: &[u8], mut each: impl FnMut(&str)) -> std::result::Result<Verified, Broken> {
    let (lines, torn) = whole_lines(bytes);
    let mut v = Verified {
        records: 0,
        first_seq: 0,
        head: GENESIS.to_owned(),
        torn_bytes: torn as u64,
    };
    for (i, line) in lines.into_iter().enumerate() {
        if line.is_empty() {
            return Err(Broken::Unreadable {
                line: i + 1,
                reason: "a blank line (the log never writes one)".into(),
            });
        }
        let r = check_line(line, i + 1)?;
        if v.records == 0 {
            v.first_seq = r.seq;
            if r.decision.kind != Kind::Checkpoint && r.prev != GENESIS {
                return Err(Broken::Unchained {
                    seq: r.seq,
                    line: i + 1,
                });
            }
        } else {
            let expected = v.first_seq + v.records;
            if r.seq != expected {
                return Err(Broken::OutOfSequence {
                    line: i + 1,
                    seq: r.seq,
                    expected,
                });
            }
            if r.prev != v.head {
                return Err(Broken::Unchained {
                    seq: r.seq,
                    line: i + 1,
                });
            }
        }
        // After a checkpoint the chain goes on from the last record it dropped.
        v.head = if r.decision.kind == Kind::Checkpoint {
            r.prev
        } else {
            r.hash
        };
        each(&v.head);
        v.records += 1;
    }
    Ok(v)
}

/// Verifies the log in `dir` and, with `key`, the signed heads of `heads` (its own
/// `heads.jsonl` when `None`; an auditor's copy otherwise) against it.
pub fn verify_signed(
    dir: &Path,
    key: &signing::HeadVerifier,
    heads: Option<&Path>,
) -> Result<std::result::Result<(Verified, signing::HeadsChecked), String>> {
    let path = dir.join(FILE);
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let mut hashes = Vec::new();
    let v = match verify_each(&bytes, |h| hashes.push(h.to_owned())) {
        Ok(v) => v,
        Err(b) => return Ok(Err(format!("{}: {b}", path.display()))),
    };
    let heads_path = heads.map_or_else(|| dir.join(signing::HEADS), Path::to_path_buf);
    if !heads_path.exists() {
        return Ok(Err(format!(
            "{}: no signed heads (the service signs them with `decisions_key`): without them a rewritten log cannot be told from the original",
            heads_path.display()
        )));
    }
    let heads = signing::read_heads(&heads_path)?;
    Ok(signing::check_heads(&heads, v.first_seq, &hashes, key)
        .map(|c| (v, c))
        .map_err(|b| format!("{}: {b}", heads_path.display())))
}

/// Verifies the log in `dir` without opening it for writing.
pub fn verify(dir: &Path) -> Result<std::result::Result<Verified, Broken>> {
    let path = dir.join(FILE);
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    Ok(verify_bytes(&bytes))
}

/// At most `limit` records in `dir` that concern `person`, oldest first (reads the file as it
/// is on disk); stops with [`Error::Cancelled`] when `cancel` is raised.
pub fn records_of(
    dir: &Path,
    person: &str,
    limit: usize,
    cancel: &incrocio_core::cancel::Cancel,
) -> Result<Vec<Record>> {
    scan(dir, Some(person), limit, cancel, |r| {
        r.decision
            .people
            .iter()
            .any(|p| p == person)
            .then(|| r.clone())
    })
}

/// The records of `dir` that `pick` maps to something, in order, at most `limit`. With a `needle`, only the
/// lines holding it as a JSON string are parsed (a cheap filter: an id appears in the line of
/// every record about it). A line that is not a record is an error naming it. Stops with
/// [`Error::Cancelled`] when `cancel` is raised.
pub fn scan<T>(
    dir: &Path,
    needle: Option<&str>,
    limit: usize,
    cancel: &incrocio_core::cancel::Cancel,
    mut pick: impl FnMut(&Record) -> Option<T>,
) -> Result<Vec<T>> {
    let path = dir.join(FILE);
    let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
    let needle = needle
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| Error::data(&path, e))?;
    let mut out = Vec::new();
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    for i in 0.. {
        if i % 4096 == 4095 {
            cancel.check()?;
        }
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io(&path, e))?;
        // The end, or a last line still being written by the server (no newline yet): a record
        // is there once its newline is.
        if n == 0 || line.last() != Some(&b'\n') {
            break;
        }
        line.pop();
        if line.is_empty()
            || needle
                .as_ref()
                .is_some_and(|n| !contains(&line, n.as_bytes()))
        {
            continue;
        }
        let r = serde_json::from_slice::<Record>(&line)
            .map_err(|e| Error::data(&path, format!("line {}: {e}", i + 1)))?;
        if let Some(t) = pick(&r) {
            out.push(t);
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}

/// Every record in `dir`, in order; stops with [`Error::Cancelled`] when `cancel` is raised.
pub fn scan_all(dir: &Path, cancel: &incrocio_core::cancel::Cancel) -> Result<Vec<Record>> {
    scan(dir, None, usize::MAX, cancel, |r| Some(r.clone()))
}

/// Every record in `dir`, in order.
pub fn records(dir: &Path) -> Result<Vec<Record>> {
    scan_all(dir, &incrocio_core::cancel::Cancel::never())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// What a compaction did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compacted {
    /// Records dropped.
    pub dropped: u64,
    /// Records kept (the checkpoint not counted).
    pub kept: u64,
    /// The checkpoint's receipt.
    pub checkpoint: Receipt,
}

/// Drops the longest run of records at the start of the log in `dir` that were recorded
/// before `before` (UTC date) and holds no override still in force on that date, and starts
/// the log with a checkpoint record: how many were dropped, the digest of their bytes, and
/// as its `prev` the hash of the last one, to which the first kept record already links. The
/// kept records are unchanged, byte for byte, so their receipts stay valid and the chain stays
/// verifiable. The log is verified first and replaced atomically. Not to be run while a
/// server appends to the log.
pub fn compact(dir: &Path, before: NaiveDate, now: DateTime<Utc>) -> Result<Compacted> {
    let path = dir.join(FILE);
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    verify_bytes(&bytes).map_err(|b| Error::data(&path, b.to_string()))?;
    let cutoff = before.to_string();
    let mut dropped_bytes = Sha256::new();
    let (mut dropped, mut last_dropped, mut last_seq) = (0u64, GENESIS.to_owned(), 0u64);
    let mut first_dropped = None;
    // The records verified: a torn last line, never acknowledged, is not one of them.
    let lines = whole_lines(&bytes).0;
    for line in &lines {
        let r: Record = serde_json::from_slice(line).map_err(|e| Error::data(&path, e))?;
        let old = r.at.get(..10).is_some_and(|d| d < cutoff.as_str());
        let in_force = r.decision.kind == Kind::Override
            && overrides::Override::from_record(&r).is_some_and(|o| o.expires >= before);
        if !old || in_force {
            break;
        }
        first_dropped.get_or_insert(r.seq);
        dropped_bytes.update(line);
        dropped_bytes.update(b"\n");
        dropped += 1;
        // A checkpoint dropped in turn: the chain went on from its `prev`.
        last_dropped = if r.decision.kind == Kind::Checkpoint {
            r.prev
        } else {
            r.hash
        };
        last_seq = r.seq;
    }
    let kept = lines.len() as u64 - dropped;
    if dropped == 0 {
        return Err(Error::data(
            &path,
            format!("nothing to compact: no record before {cutoff} ahead of the first one to keep"),
        ));
    }
    let checkpoint = Decision {
        kind: Kind::Checkpoint,
        actor: "compact".into(),
        input_digest: format!("sha256:{}", hex::encode(dropped_bytes.finalize())),
        model: None,
        subject: None,
        people: Vec::new(),
        result: serde_json::json!({
            "before": cutoff,
            "dropped": dropped,
            "first_dropped_seq": first_dropped,
            "last_dropped_seq": last_seq,
        }),
        texts: Vec::new(),
    };
    // The checkpoint takes the last dropped record's seq: the kept records keep theirs.
    let at = now.to_rfc3339_opts(SecondsFormat::Millis, true);
    let (line, hash) = seal(last_seq, &at, &last_dropped, &checkpoint)?;
    let mut out = line;
    out.push(b'\n');
    for l in &lines[dropped as usize..] {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    verify_bytes(&out)
        .map_err(|b| Error::data(&path, format!("compaction would break the chain: {b}")))?;
    incrocio_core::files::atomic_write(&path, |w| {
        w.write_all(&out).map_err(|e| Error::io(&path, e))
    })?;
    Ok(Compacted {
        dropped,
        kept,
        checkpoint: Receipt {
            seq: last_seq,
            hash,
        },
    })
}

/// The JSON lines of a side file of the log (`heads.jsonl`, `notes.jsonl`): a torn last line,
/// never synced, is left out, as in the log itself; `what` names a line in errors.
pub(crate) fn json_lines<T: serde::de::DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
    what: &str,
) -> Result<Vec<T>> {
    whole_lines(bytes)
        .0
        .into_iter()
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .map(|(i, l)| {
            serde_json::from_slice(l)
                .map_err(|e| Error::data(path, format!("line {}: not {what} ({e})", i + 1)))
        })
        .collect()
}

/// A value as a decision's input digest (SHA-256 of its JSON) and result.
pub fn payload<T: Serialize>(value: &T) -> Result<(String, serde_json::Value)> {
    let bytes = serde_json::to_vec(value).map_err(|e| Error::data("decision record", e))?;
    let result = serde_json::to_value(value).map_err(|e| Error::data("decision record", e))?;
    Ok((incrocio_core::digest::sha256_tagged(&bytes), result))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(person: &str) -> Decision {
        Decision {
            kind: Kind::Profile,
            actor: "test".into(),
            input_digest: "sha256:x".into(),
            model: Some(ModelRef {
                id: "did@v1".into(),
                digest: "sha256:m".into(),
            }),
            subject: None,
            people: vec![person.into()],
            result: serde_json::json!({"class": 3}),
            texts: Vec::new(),
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-12-02T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn each_kind_carries_the_lep_of_allegato_b() {
        let lep = |k: Kind| k.lep().map(|l| (l.lep, l.sap));
        assert_eq!(lep(Kind::Profile), Some(("B".into(), "A01".into())));
        assert_eq!(lep(Kind::Rosa), Some(("Q".into(), "B03".into())));
        assert_eq!(lep(Kind::Graduatoria), Some(("K".into(), "B03".into())));
        assert_eq!(lep(Kind::Riesame), Some(("K".into(), "B03".into())));
        assert_eq!(lep(Kind::Override), Some(("C".into(), "A01".into())));
        assert_eq!(lep(Kind::Esito), Some(("Q".into(), "B03".into())));
        assert_eq!(lep(Kind::Congruity), None);
    }

    /// Rewrites a log as a writer who recomputes every hash would: each record resealed with
    /// `edit` applied to its decision, the chain relinked.
    fn forge(dir: &Path, keep: usize, edit: impl Fn(&mut Decision)) {
        let path = dir.join(FILE);
        let records = records(dir).unwrap();
        let mut out = Vec::new();
        let mut prev = GENESIS.to_owned();
        for r in records.into_iter().take(keep) {
            let mut d = r.decision.clone();
            edit(&mut d);
            let (line, hash) = seal(r.seq, &r.at, &prev, &d).unwrap();
            out.extend_from_slice(&line);
            out.push(b'\n');
            prev = hash;
        }
        std::fs::write(&path, out).unwrap();
    }

    /// Issue 30.11: a writer who recomputes every hash leaves a log that verifies as a chain,
    /// but not against the heads the service signed; nor a log cut short; nor an edited head.
    #[test]
    fn issue_30_11_signed_heads_catch_a_rewritten_or_truncated_log() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let key_file = d.join("log.key");
        let key = signing::HeadKey::create(&key_file).unwrap();
        let public = signing::HeadVerifier::parse(&key.public_hex()).unwrap();
        let logs = d.join("log");
        let mut log = DecisionLog::open_signed(&logs, Some(key)).unwrap();
        log.append(&[decision("P1"), decision("P2")], now())
            .unwrap();
        log.append(&[decision("P3")], now()).unwrap();
        drop(log);
        // Two groups, two signed heads: seq 2 and seq 3.
        let heads = signing::read_heads(&logs.join(signing::HEADS)).unwrap();
        assert_eq!(heads.iter().map(|h| h.seq).collect::<Vec<_>>(), [2, 3]);
        let (v, h) = verify_signed(&logs, &public, None).unwrap().unwrap();
        assert_eq!(
            (v.records, h.checked, h.last_signed_seq, h.unsigned_after),
            (3, 2, Some(3), 0)
        );
        let original = std::fs::read(logs.join(FILE)).unwrap();
        let copy = d.join("auditor-heads.jsonl");
        std::fs::copy(logs.join(signing::HEADS), &copy).unwrap();

        // Record 1's class changed and every hash recomputed: the chain verifies ...
        forge(&logs, 3, |x| {
            if x.people == ["P1"] {
                x.result = serde_json::json!({"class": 1});
            }
        });
        assert!(verify(&logs).unwrap().is_ok());
        // ... the signed heads do not.
        let e = verify_signed(&logs, &public, None).unwrap().unwrap_err();
        assert!(
            e.contains("record 2 had hash") && e.contains("rewritten"),
            "{e}"
        );
        // The last record dropped and the chain resealed: the signed seq 3 is gone.
        std::fs::write(logs.join(FILE), &original).unwrap();
        forge(&logs, 2, |_| {});
        let e = verify_signed(&logs, &public, None).unwrap().unwrap_err();
        assert!(e.contains("records were removed"), "{e}");
        // The heads file deleted along with a rewrite: the auditor's copy still tells.
        forge(&logs, 3, |x| x.actor = "someone else".into());
        std::fs::remove_file(logs.join(signing::HEADS)).unwrap();
        let e = verify_signed(&logs, &public, None).unwrap().unwrap_err();
        assert!(e.contains("no signed heads"), "{e}");
        let e = verify_signed(&logs, &public, Some(&copy))
            .unwrap()
            .unwrap_err();
        assert!(e.contains("rewritten"), "{e}");
        // A head edited to match the rewrite: its signature no longer holds; another key's
        // heads do not count either.
        let mut edited = signing::read_heads(&copy).unwrap();
        edited[0].head = records(&logs).unwrap()[1].hash.clone();
        let lines: Vec<String> = edited
            .iter()
            .map(|h| serde_json::to_string(h).unwrap())
            .collect();
        std::fs::write(&copy, lines.join("\n") + "\n").unwrap();
        let e = verify_signed(&logs, &public, Some(&copy))
            .unwrap()
            .unwrap_err();
        assert!(e.contains("signature is not this key's"), "{e}");
        let other = signing::HeadKey::create(&d.join("other.key")).unwrap();
        let other = signing::HeadVerifier::parse(&other.public_hex()).unwrap();
        std::fs::write(logs.join(FILE), &original).unwrap();
        std::fs::copy(d.join("auditor-heads.jsonl"), logs.join(signing::HEADS)).ok();
        assert!(verify_signed(&logs, &other, None).unwrap().is_err());
    }

    /// Issue 30.11: one rule for reading a log, when verifying and when opening it: a torn
    /// last line (no newline: never acknowledged) is left out and reported, and cut off on
    /// open; a blank line is a defect in both.
    #[test]
    fn issue_30_11_verify_and_open_read_a_log_by_one_rule() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = DecisionLog::open(dir.path()).unwrap();
        log.append(&[decision("P1"), decision("P2")], now())
            .unwrap();
        drop(log);
        let path = dir.path().join(FILE);
        let good = std::fs::read(&path).unwrap();
        let mut torn = good.clone();
        torn.extend_from_slice(b"{\"seq\":3,\"at\":");
        std::fs::write(&path, &torn).unwrap();
        let v = verify(dir.path()).unwrap().unwrap();
        assert_eq!((v.records, v.torn_bytes), (2, 14));
        // Compaction reads by the same rule: the torn bytes are not a record to keep.
        let copy = tempfile::tempdir().unwrap();
        std::fs::write(copy.path().join(FILE), &torn).unwrap();
        let c = compact(copy.path(), "2026-12-03".parse().unwrap(), now()).unwrap();
        assert_eq!((c.dropped, c.kept), (2, 0));
        let after = verify(copy.path()).unwrap().unwrap();
        assert_eq!((after.records, after.torn_bytes), (1, 0));
        DecisionLog::open(dir.path()).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), good, "cut off on open");
        // A blank line between records: refused by both.
        let lines: Vec<&[u8]> = good.split(|&b| b == b'\n').collect();
        let blank = [lines[0], b"", lines[1], b""].join(&b'\n');
        std::fs::write(&path, &blank).unwrap();
        assert!(matches!(
            verify(dir.path()).unwrap(),
            Err(Broken::Unreadable { line: 2, .. })
        ));
        assert!(DecisionLog::open(dir.path()).is_err());
    }

    #[test]
    fn a_changed_byte_names_its_record() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = DecisionLog::open(dir.path()).unwrap();
        log.append(&[decision("P1"), decision("P2")], now())
            .unwrap();
        log.append(&[decision("P3")], now()).unwrap();
        drop(log);
        let v = verify(dir.path()).unwrap().unwrap();
        assert_eq!((v.records, v.first_seq), (3, 1));
        let path = dir.path().join(FILE);
        let good = std::fs::read(&path).unwrap();
        // The class of record 2 changed from 3 to 4.
        let at = good
            .windows(10)
            .enumerate()
            .filter(|(_, w)| w == b"\"class\":3}")
            .nth(1)
            .unwrap()
            .0;
        let mut bad = good.clone();
        bad[at + 8] = b'4';
        std::fs::write(&path, &bad).unwrap();
        assert_eq!(
            verify(dir.path()).unwrap().unwrap_err(),
            Broken::Altered { seq: 2, line: 2 }
        );
        assert!(DecisionLog::open(dir.path()).is_err());
        // Record 2 removed: record 3 no longer links.
        let lines: Vec<&[u8]> = good.split(|&b| b == b'\n').collect();
        let cut = [lines[0], lines[2], b""].join(&b'\n');
        std::fs::write(&path, cut).unwrap();
        assert!(matches!(
            verify(dir.path()).unwrap().unwrap_err(),
            Broken::OutOfSequence { line: 2, .. }
        ));
    }

    #[test]
    fn a_torn_last_line_is_cut_and_appending_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = DecisionLog::open(dir.path()).unwrap();
        let r = log.append(&[decision("P1")], now()).unwrap();
        drop(log);
        let path = dir.path().join(FILE);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"seq\":2,\"at\":\"2026").unwrap();
        drop(f);
        let mut log = DecisionLog::open(dir.path()).unwrap();
        assert_eq!(log.head(), r[0].hash);
        let r2 = log.append(&[decision("P2")], now()).unwrap();
        assert_eq!(r2[0].seq, 2);
        assert_eq!(
            records_of(
                dir.path(),
                "P2",
                10,
                &incrocio_core::cancel::Cancel::never()
            )
            .unwrap()
            .len(),
            1
        );
        assert_eq!(
            records_of(dir.path(), "P", 10, &incrocio_core::cancel::Cancel::never())
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn compaction_keeps_the_chain_verifiable() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = DecisionLog::open(dir.path()).unwrap();
        log.append(
            &[decision("P1"), decision("P2")],
            "2026-01-05T09:00:00Z".parse().unwrap(),
        )
        .unwrap();
        log.append(&[decision("P3")], now()).unwrap();
        drop(log);
        let before = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        let c = compact(dir.path(), "2026-06-01".parse().unwrap(), now()).unwrap();
        assert_eq!((c.dropped, c.kept), (2, 1));
        let v = verify(dir.path()).unwrap().unwrap();
        assert_eq!((v.records, v.first_seq), (2, 2));
        assert!(
            records_of(
                dir.path(),
                "P1",
                10,
                &incrocio_core::cancel::Cancel::never()
            )
            .unwrap()
            .is_empty()
        );
        // The kept record is the same bytes.
        let after = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        assert_eq!(after.lines().nth(1), before.lines().nth(2));
        // Nothing more to drop.
        assert!(compact(dir.path(), "2026-06-01".parse().unwrap(), now()).is_err());
        // Appending goes on after the checkpoint.
        let mut log = DecisionLog::open(dir.path()).unwrap();
        assert_eq!(log.append(&[decision("P4")], now()).unwrap()[0].seq, 4);
    }
}
