//! The record framing both append-only journals share (the candidate vectors' and the vacancy
//! board's): `u32 payload length, u32 CRC-32 of the payload, payload` (little-endian) after an
//! 8-byte magic. A record whose bytes are cut short or whose checksum fails ends the journal:
//! it is the torn tail of a crash mid-append, and is cut off on open.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use incrocio_core::error::{Error, Result};

/// Starts a record in `out`; returns where it starts, for [`seal`] once the payload follows.
pub(super) fn begin(out: &mut Vec<u8>) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0u8; 8]);
    start
}

/// Fills in the length and checksum of the record begun at `start` (its payload is the rest of
/// `out`).
pub(super) fn seal(out: &mut [u8], start: usize) {
    let payload = &out[start + 8..];
    let (len, crc) = (payload.len() as u32, crc32fast::hash(payload));
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// The payload of the record at `at` and the offset after it, when the record is whole and
/// its checksum holds.
pub(super) fn record_at(bytes: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let head = bytes.get(at..at + 8)?;
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    let payload = bytes.get(at + 8..at + 8 + len)?;
    (crc32fast::hash(payload) == crc).then_some((payload, at + 8 + len))
}

/// Opens a journal for replay: its bytes after checking the magic (`what` names it in errors).
pub(super) fn open(path: &Path, magic: &[u8; 8], what: &str) -> Result<(File, Vec<u8>)> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() < 8 || &bytes[..8] != magic {
        return Err(Error::data(
            path,
            format!("not an incrocio {what} (bad magic)"),
        ));
    }
    Ok((file, bytes))
}

/// After a replay that stopped at `end` of `len` bytes: cuts the torn tail (synced) and leaves
/// the file positioned for appending.
pub(super) fn finish_replay(
    file: &mut File,
    path: &Path,
    end: usize,
    len: usize,
    what: &str,
) -> Result<()> {
    if end < len {
        tracing::warn!(
            cut_bytes = len - end,
            journal = what,
            "torn last record cut off"
        );
        file.set_len(end as u64)
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io(path, e))?;
    }
    file.seek(SeekFrom::End(0))
        .map_err(|e| Error::io(path, e))?;
    Ok(())
}
