//! JSON-lines record files, read and validated block by block.
//!
//! A block is about [`BLOCK_BYTES`] of whole lines. Its lines are parsed and validated in
//! parallel, then checked in file order, so the error reported is the one a sequential reader
//! would meet first: the line does not parse, then its id was already seen, then a field is
//! bad. Memory holds one block of text and its records, not the file.

use std::io::Read;
use std::path::Path;

use rustc_hash::FxHashMap;

use incrocio_core::error::{Error, FieldReason, InputError, Result};

/// Bytes of text per block (a line longer than this makes its block longer).
pub(super) const BLOCK_BYTES: usize = 8 << 20;

/// How a file's records are read: what a line must be, what one record is called, its id and
/// its validation.
pub(super) struct RecordFile<'a, R, V> {
    /// What a line must be, for the error when one does not parse.
    pub expected: &'static str,
    /// What one record is ("candidate"), for the error on a repeated id.
    pub what: &'a str,
    /// The record's id.
    pub id_of: &'a (dyn Fn(&R) -> String + Sync),
    /// Validates a record.
    pub validate: &'a (dyn Fn(R) -> std::result::Result<V, InputError> + Sync),
}

impl<R, V> RecordFile<'_, R, V>
where
    R: serde::de::DeserializeOwned,
    V: Send,
{
    /// Reads the whole file; see the module docs.
    pub(super) fn read_all(&self, path: &Path) -> Result<Vec<V>> {
        let mut out = Vec::new();
        self.each_block(path, BLOCK_BYTES, |block, _| {
            out.extend(block);
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `each` with every block's records in file order and the bytes read so far; stops
    /// at the first bad line or the first error of `each`. Returns the records read.
    pub(super) fn each_block(
        &self,
        path: &Path,
        block_bytes: usize,
        mut each: impl FnMut(Vec<V>, u64) -> Result<()>,
    ) -> Result<usize> {
        let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut buf: Vec<u8> = Vec::with_capacity(block_bytes + (64 << 10));
        let mut ids: FxHashMap<String, usize> = FxHashMap::default();
        // Lines before the block, and bytes read.
        let (mut lines_before, mut read) = (0usize, 0u64);
        let mut records = 0;
        let mut eof = false;
        while !eof || !buf.is_empty() {
            // A block's worth, or (a line longer than a block) as much again.
            let want = if buf.len() < block_bytes {
                block_bytes - buf.len()
            } else {
                buf.len()
            };
            let n = (&mut file)
                .take(want as u64)
                .read_to_end(&mut buf)
                .map_err(|e| Error::io(path, e))?;
            read += n as u64;
            eof = n == 0;
            // A block ends after its last newline; at the end of the file, with the file.
            let end = match buf.iter().rposition(|&b| b == b'\n') {
                Some(i) if !eof => i + 1,
                _ if eof => buf.len(),
                // No newline yet: a line longer than a block; read on.
                _ => continue,
            };
            if end == 0 {
                continue;
            }
            let text = std::str::from_utf8(&buf[..end]).map_err(|e| {
                let line = lines_before + 1 + count_newlines(&buf[..e.valid_up_to()]);
                Error::Input(
                    InputError::new(
                        "record",
                        FieldReason::Malformed {
                            value: "bytes that are not UTF-8".into(),
                            expected: self.expected,
                        },
                    )
                    .with_row(line),
                )
            })?;
            let block = self.block(text, lines_before, &mut ids)?;
            records += block.len();
            lines_before += text.lines().count();
            buf.drain(..end);
            each(block, read)?;
        }
        Ok(records)
    }

    /// One block's records, in file order; lines are numbered after `lines_before`.
    fn block(
        &self,
        text: &str,
        lines_before: usize,
        ids: &mut FxHashMap<String, usize>,
    ) -> Result<Vec<V>> {
        use rayon::prelude::*;
        let lines: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(k, l)| (lines_before + k + 1, l))
            .collect();
        type Parsed<V> = std::result::Result<(String, std::result::Result<V, Error>), Error>;
        let parsed: Vec<Parsed<V>> = lines
            .par_iter()
            .map(|&(row, line)| {
                let rec: R = incrocio_core::json::from_str_record(line).map_err(|e| {
                    Error::Input(
                        InputError::new(
                            "record",
                            FieldReason::Malformed {
                                value: e.to_string(),
                                expected: self.expected,
                            },
                        )
                        .with_row(row),
                    )
                })?;
                let id = (self.id_of)(&rec);
                Ok((
                    id,
                    (self.validate)(rec).map_err(|e| Error::Input(e.with_row(row))),
                ))
            })
            .collect();
        let mut out = Vec::with_capacity(parsed.len());
        for (&(row, _), r) in lines.iter().zip(parsed) {
            // As a sequential reader: the line parses, then its id is checked, then its fields.
            let (id, v) = r?;
            if let Some(&first) = ids.get(&id) {
                return Err(Error::Input(
                    InputError::new(
                        "id",
                        FieldReason::Inconsistent(format!(
                            "the id is also on line {first}: each {} once",
                            self.what
                        )),
                    )
                    .with_record(&id)
                    .with_row(row),
                ));
            }
            ids.insert(id, row);
            out.push(v?);
        }
        Ok(out)
    }
}

fn count_newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Rec {
        id: String,
        n: i64,
    }

    fn file(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    fn reader<'a>(
        id_of: &'a (dyn Fn(&Rec) -> String + Sync),
        validate: &'a (dyn Fn(Rec) -> std::result::Result<i64, InputError> + Sync),
    ) -> RecordFile<'a, Rec, i64> {
        RecordFile {
            expected: "a test record",
            what: "record",
            id_of,
            validate,
        }
    }

    fn positive(r: Rec) -> std::result::Result<i64, InputError> {
        if r.n > 0 {
            Ok(r.n)
        } else {
            Err(InputError::new(
                "n",
                FieldReason::Inconsistent("not positive".into()),
            ))
        }
    }

    /// Every block size gives the same records, the same blocks boundaries aside, and the
    /// same first error with the same line number.
    #[test]
    fn any_block_size_reads_the_same_records_and_names_the_same_line() {
        let id_of = |r: &Rec| r.id.clone();
        let r = reader(&id_of, &positive);
        let mut good = String::new();
        for i in 0..200 {
            good.push_str(&format!("{{\"id\":\"p{i}\",\"n\":{}}}\n", i + 1));
            if i % 17 == 0 {
                good.push_str("  \r\n");
            }
        }
        // No newline at the end of the last line.
        good.push_str("{\"id\":\"last\",\"n\":7}");
        let f = file(&good);
        let whole = r.read_all(f.path()).unwrap();
        assert_eq!(whole.len(), 201);
        assert_eq!(whole[..3], [1, 2, 3]);
        assert_eq!(whole[200], 7);
        for block in [1, 7, 64, 1000, 1 << 20] {
            let mut got = Vec::new();
            let mut blocks = 0;
            let n = r
                .each_block(f.path(), block, |b, _| {
                    blocks += 1;
                    got.extend(b);
                    Ok(())
                })
                .unwrap();
            assert_eq!((n, &got), (201, &whole), "block of {block} bytes");
            assert!(blocks >= 1);
        }
        // Line 230 (200 records, 12 blank lines, then 18 more) repeats an id of line 1; line
        // 240 is not positive; line 235 does not parse: the first of them in file order wins,
        // whatever the block size.
        let mut bad = good.replace("{\"id\":\"last\",\"n\":7}", "");
        for i in 213..=250 {
            let line = match i {
                230 => "{\"id\":\"p0\",\"n\":2}".to_owned(),
                235 => "{\"id\":".to_owned(),
                240 => format!("{{\"id\":\"q{i}\",\"n\":0}}"),
                _ => format!("{{\"id\":\"q{i}\",\"n\":1}}"),
            };
            bad.push_str(&line);
            bad.push('\n');
        }
        let f = file(&bad);
        for block in [1, 7, 64, 1000, 1 << 20] {
            let e = r
                .each_block(f.path(), block, |_, _| Ok(()))
                .unwrap_err()
                .to_string();
            assert!(e.contains("line 1: each record once"), "{e}");
            assert!(e.contains("230"), "{e}");
        }
        let tail = bad.replace("{\"id\":\"p0\",\"n\":2}\n", "{\"id\":\"z\",\"n\":1}\n");
        let f = file(&tail);
        let e = r.read_all(f.path()).unwrap_err().to_string();
        assert!(e.contains("235"), "{e}");
        assert!(e.contains("a test record"), "{e}");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_named_by_their_line() {
        let id_of = |r: &Rec| r.id.clone();
        let r = reader(&id_of, &positive);
        let mut bytes = b"{\"id\":\"a\",\"n\":1}\n{\"id\":\"b\",\"n\":1}\n{\"id\":\"".to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe]);
        bytes.extend_from_slice(b"\",\"n\":1}\n");
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), &bytes).unwrap();
        for block in [1, 5, 1 << 20] {
            let e = r
                .each_block(f.path(), block, |_, _| Ok(()))
                .unwrap_err()
                .to_string();
            assert!(e.contains("not UTF-8") && e.contains('3'), "{block}: {e}");
        }
    }
}
