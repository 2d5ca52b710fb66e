//! The competency vectors and candidate ids kept beside the tantivy index.
//!
//! Two files: a compacted base, `vectors.csr` (the [`CompetencyMatrix`] followed by the id of
//! each row), written atomically; and `vectors.journal`, an append-only log of the rows added
//! since, one checksummed record each. An upsert appends and syncs its rows *before* the tantivy
//! commit that refers to them, so a committed document always has its row, and a crash at any
//! point leaves at worst rows no document uses. A torn last record (a crash mid-append) fails its
//! checksum and is cut off when the store is opened again.
//!
//! Journal record: `u32 payload length, u32 CRC-32 of the payload, payload`; payload: `u64 slot,
//! u32 id length, id bytes, u32 nnz, nnz × u32 skill, nnz × f32 weight` (little-endian).
//! Records whose slot the base already holds (a crash between compaction and truncation) are
//! skipped on replay.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::journal;
use super::vectors::{CompetencyMatrix, Sketch, SketchQuery, SparseVec};
use incrocio_core::error::{Error, Result};

const JOURNAL_MAGIC: &[u8; 8] = b"INCRJRN1";
/// Base file name.
pub const BASE: &str = "vectors.csr";
/// Journal file name.
pub const JOURNAL: &str = "vectors.journal";

/// Rows (vector + candidate id) by slot.
#[derive(Debug, Default)]
pub struct VectorStore {
    matrix: CompetencyMatrix,
    ids: Vec<String>,
    /// Per row, its [`Sketch`] (derived from the matrix when loaded and when a row is added;
    /// never stored).
    sketches: Vec<Sketch>,
}

/// The open journal, appended to by the one writer.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
}

fn bad(path: &Path, what: impl Into<String>) -> Error {
    Error::data(path, what.into())
}

impl VectorStore {
    /// An empty store.
    pub fn new() -> VectorStore {
        VectorStore {
            matrix: CompetencyMatrix::new(),
            ids: Vec::new(),
            sketches: Vec::new(),
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.matrix.rows()
    }

    /// Appends a row; returns its slot.
    pub fn push(&mut self, id: &str, v: &SparseVec) -> usize {
        self.ids.push(id.to_owned());
        self.sketches.push(Sketch::of(&v.idx, &v.val));
        self.matrix.push(v)
    }

    /// A value the dot product of row `slot` with the vector of `q` never exceeds, read from
    /// the row's sketch (0 for a slot out of range, as [`VectorStore::dot_dense`]).
    pub fn dot_bound(&self, slot: usize, q: &SketchQuery) -> f64 {
        self.sketches.get(slot).map_or(0.0, |s| q.bound(s))
    }

    /// Reads row `slot`'s sketch (its norm; 0 out of range), to bring it into the cache
    /// before [`VectorStore::dot_bound`] reads it.
    pub fn peek_sketch(&self, slot: usize) -> f32 {
        self.sketches.get(slot).map_or(0.0, Sketch::norm)
    }

    /// The candidate id of a slot.
    pub fn id(&self, slot: usize) -> Option<&str> {
        self.ids.get(slot).map(String::as_str)
    }

    /// Dot product of row `slot` with a dense vector (0 for a slot out of range).
    pub fn dot_dense(&self, slot: usize, dense: &[f32]) -> f32 {
        if slot < self.rows() {
            self.matrix.dot_dense(slot, dense)
        } else {
            0.0
        }
    }

    /// Brings row `slot` into cache ([`CompetencyMatrix::touch`]).
    pub fn touch(&self, slot: usize) -> f32 {
        self.matrix.touch(slot)
    }

    /// The skills of row `slot` (none when out of range), without copying.
    pub fn skills_of(&self, slot: usize) -> &[u32] {
        if slot < self.rows() {
            self.matrix.row_parts(slot).0
        } else {
            &[]
        }
    }

    /// Row `slot` (empty when out of range).
    pub fn row(&self, slot: usize) -> SparseVec {
        if slot < self.rows() {
            self.matrix.row(slot)
        } else {
            SparseVec::default()
        }
    }

    /// Creates the files of an empty store in `dir`.
    pub fn create(dir: &Path) -> Result<(VectorStore, Journal)> {
        let store = VectorStore::new();
        store.write_base(dir)?;
        let journal = Journal::create(&dir.join(JOURNAL))?;
        Ok((store, journal))
    }

    /// Loads the base and replays the journal, cutting off a torn last record.
    pub fn open(dir: &Path) -> Result<(VectorStore, Journal)> {
        let path = dir.join(BASE);
        let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
        let len = file.metadata().map_err(|e| Error::io(&path, e))?.len();
        let mut r = BufReader::new(file);
        let matrix = CompetencyMatrix::read_from(&mut r, len).map_err(|e| Error::io(&path, e))?;
        let mut ids = Vec::with_capacity(matrix.rows());
        for _ in 0..matrix.rows() {
            let n = read_u32(&mut r).map_err(|e| Error::io(&path, e))? as usize;
            if n as u64 > len {
                return Err(bad(&path, "corrupt id length"));
            }
            let mut buf = vec![0u8; n];
            r.read_exact(&mut buf).map_err(|e| Error::io(&path, e))?;
            ids.push(String::from_utf8(buf).map_err(|_| bad(&path, "an id is not UTF-8"))?);
        }
        let sketches = (0..matrix.rows())
            .map(|r| {
                let (idx, val) = matrix.row_parts(r);
                Sketch::of(idx, val)
            })
            .collect();
        let mut store = VectorStore {
            matrix,
            ids,
            sketches,
        };
        let journal = Journal::replay(&dir.join(JOURNAL), &mut store)?;
        Ok((store, journal))
    }

    /// Empties the rows no live document uses (`live[slot]` false: a replaced or deleted
    /// candidate's old row, or the rows of a write cut short by a crash before its commit),
    /// keeping every slot where it is. Returns how many rows were emptied now.
    pub fn reclaim(&mut self, live: &[bool]) -> usize {
        let dead = (0..self.rows())
            .filter(|&r| !live.get(r).copied().unwrap_or(false) && !self.ids[r].is_empty())
            .count();
        if dead == 0 {
            return 0;
        }
        let keep: Vec<bool> = (0..self.rows())
            .map(|r| live.get(r).copied().unwrap_or(false))
            .collect();
        self.matrix = self.matrix.keeping(&keep);
        for (r, k) in keep.iter().enumerate() {
            if !k {
                self.ids[r] = String::new();
                self.sketches[r] = Sketch::of(&[], &[]);
            }
        }
        dead
    }

    /// Rows that hold a vector and an id (live, or dead and not reclaimed yet).
    pub fn held(&self) -> usize {
        self.ids.iter().filter(|id| !id.is_empty()).count()
    }

    /// Writes every row into a new base and empties the journal.
    pub fn compact(&self, dir: &Path, journal: &mut Journal) -> Result<()> {
        self.write_base(dir)?;
        journal.truncate()
    }

    fn write_base(&self, dir: &Path) -> Result<()> {
        let path = dir.join(BASE);
        incrocio_core::files::atomic_write(&path, |w| {
            self.matrix.write_to(w).map_err(|e| Error::io(&path, e))?;
            for id in &self.ids {
                w.write_all(&(id.len() as u32).to_le_bytes())
                    .and_then(|()| w.write_all(id.as_bytes()))
                    .map_err(|e| Error::io(&path, e))?;
            }
            Ok(())
        })
    }
}

fn read_u32(r: &mut impl Read) -> std::io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn encode(slot: usize, id: &str, (idx, val): (&[u32], &[f32]), out: &mut Vec<u8>) {
    let start = journal::begin(out);
    out.extend_from_slice(&(slot as u64).to_le_bytes());
    out.extend_from_slice(&(id.len() as u32).to_le_bytes());
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(&(idx.len() as u32).to_le_bytes());
    for i in idx {
        out.extend_from_slice(&i.to_le_bytes());
    }
    for x in val {
        out.extend_from_slice(&x.to_le_bytes());
    }
    journal::seal(out, start);
}

/// A decoded journal record.
struct Record {
    slot: usize,
    id: String,
    vector: SparseVec,
}

fn decode(payload: &[u8]) -> Option<Record> {
    let mut at = 0usize;
    let mut take = |n: usize| -> Option<&[u8]> {
        let s = payload.get(at..at + n)?;
        at += n;
        Some(s)
    };
    let slot = u64::from_le_bytes(take(8)?.try_into().ok()?) as usize;
    let idlen = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
    let id = String::from_utf8(take(idlen)?.to_vec()).ok()?;
    let nnz = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
    let idx = take(nnz * 4)?
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let val = take(nnz * 4)?
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Some(Record {
        slot,
        id,
        vector: SparseVec { idx, val },
    })
}

impl Journal {
    fn create(path: &Path) -> Result<Journal> {
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        file.write_all(JOURNAL_MAGIC)
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io(path, e))?;
        Ok(Journal {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Replays the journal into `store`; a missing journal is created empty.
    fn replay(path: &Path, store: &mut VectorStore) -> Result<Journal> {
        if !path.exists() {
            return Journal::create(path);
        }
        let (mut file, bytes) = journal::open(path, JOURNAL_MAGIC, "vector journal")?;
        let mut at = 8usize;
        let mut replayed = 0usize;
        while let Some((payload, next)) = journal::record_at(&bytes, at) {
            let Some(rec) = decode(payload) else { break };
            if rec.slot == store.rows() {
                store.push(&rec.id, &rec.vector);
                replayed += 1;
            } else if rec.slot > store.rows() {
                return Err(bad(
                    path,
                    format!(
                        "journal record for slot {} after {} rows: rebuild the index",
                        rec.slot,
                        store.rows()
                    ),
                ));
            }
            at = next;
        }
        journal::finish_replay(&mut file, path, at, bytes.len(), "vector journal")?;
        tracing::debug!(replayed, "vector journal replayed");
        Ok(Journal {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Appends the rows `from..` of `store` and syncs them to disk.
    pub fn append(&mut self, store: &VectorStore, from: usize) -> Result<()> {
        // Encoded and written 4 MiB at a time: a bulk build appends a million rows, and one
        // buffer for all of them would be reallocated (copied, fresh pages zeroed) as it grows.
        const FLUSH: usize = 4 << 20;
        let mut buf = Vec::with_capacity(FLUSH + (64 << 10));
        for slot in from..store.rows() {
            let row = store.matrix.row_parts(slot);
            encode(slot, store.id(slot).unwrap_or(""), row, &mut buf);
            if buf.len() >= FLUSH {
                self.file
                    .write_all(&buf)
                    .map_err(|e| Error::io(&self.path, e))?;
                buf.clear();
            }
        }
        self.file
            .write_all(&buf)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| Error::io(&self.path, e))
    }

    fn truncate(&mut self) -> Result<()> {
        self.file
            .set_len(JOURNAL_MAGIC.len() as u64)
            .and_then(|()| self.file.seek(SeekFrom::End(0)).map(drop))
            .and_then(|()| self.file.sync_all())
            .map_err(|e| Error::io(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(pairs: &[(u32, f32)]) -> SparseVec {
        SparseVec::from_pairs(pairs.to_vec())
    }

    #[test]
    fn journal_replays_rows_and_compaction_keeps_them() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, mut j) = VectorStore::create(dir.path()).unwrap();
        s.push("A", &v(&[(1, 0.5), (7, 0.25)]));
        s.push("B", &v(&[(3, 1.0)]));
        j.append(&s, 0).unwrap();
        drop(j);
        let (s2, mut j2) = VectorStore::open(dir.path()).unwrap();
        assert_eq!(s2.rows(), 2);
        assert_eq!(s2.id(1), Some("B"));
        assert_eq!(s2.row(0), s.row(0));
        s2.compact(dir.path(), &mut j2).unwrap();
        let (s3, _) = VectorStore::open(dir.path()).unwrap();
        assert_eq!(s3.rows(), 2);
        assert_eq!(s3.row(1), s.row(1));
        assert_eq!(s3.id(0), Some("A"));
    }

    #[test]
    fn a_torn_last_record_is_cut_off_and_appends_go_on_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, mut j) = VectorStore::create(dir.path()).unwrap();
        s.push("A", &v(&[(1, 0.5)]));
        j.append(&s, 0).unwrap();
        drop(j);
        // Half a record, as a crash mid-append would leave it.
        let mut extra = Vec::new();
        let b = v(&[(2, 0.5)]);
        encode(1, "B", (&b.idx, &b.val), &mut extra);
        let path = dir.path().join(JOURNAL);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&extra[..extra.len() / 2]).unwrap();
        drop(f);
        let (mut s2, mut j2) = VectorStore::open(dir.path()).unwrap();
        assert_eq!(s2.rows(), 1);
        s2.push("C", &v(&[(4, 1.0)]));
        j2.append(&s2, 1).unwrap();
        drop(j2);
        let (s3, _) = VectorStore::open(dir.path()).unwrap();
        assert_eq!(s3.rows(), 2);
        assert_eq!(s3.id(1), Some("C"));
    }

    #[test]
    fn records_already_in_the_base_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, mut j) = VectorStore::create(dir.path()).unwrap();
        s.push("A", &v(&[(1, 0.5)]));
        j.append(&s, 0).unwrap();
        // A crash after the base was written but before the journal was emptied.
        s.write_base(dir.path()).unwrap();
        drop(j);
        let (s2, _) = VectorStore::open(dir.path()).unwrap();
        assert_eq!(s2.rows(), 1);
    }
}
