//! Atomic file writes: a reader never sees a partial file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `path` atomically: a temporary file in the same directory is written, flushed, synced
/// and renamed over `path`, so a reader never sees a partial file and a crash leaves the old one.
///
/// A path that exists and is not a regular file or a directory (`/dev/null`, `/dev/stdout`, a
/// named pipe) is written in place: renaming over it would replace the device or the pipe with a
/// regular file.
pub fn atomic_write(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        write(&mut w)?;
        return w.flush().map_err(|e| Error::io(path, e));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".incrocio-")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    let (file, tmp_path) = tmp.into_parts();
    let mut w = BufWriter::with_capacity(1 << 20, file);
    write(&mut w)?;
    w.flush().map_err(|e| Error::io(path, e))?;
    let file = w
        .into_inner()
        .map_err(|e| Error::io(path, e.into_error()))?;
    #[cfg(unix)]
    {
        // Temp files are created 0600; outputs are ordinary files (the umask still applies on create).
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::io(path, e))?;
    }
    let t = std::time::Instant::now();
    file.sync_all().map_err(|e| Error::io(path, e))?;
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "synced");
    tmp_path
        .persist(path)
        .map_err(|e| Error::io(path, e.error))?;
    if let Ok(d) = File::open(dir) {
        // Make the rename itself durable; not every platform can sync a directory.
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renaming over a named pipe (or `/dev/null`) would replace it with a regular file: such a
    /// path is written in place and stays what it was.
    #[cfg(unix)]
    #[test]
    fn atomic_write_to_a_pipe_writes_into_it() {
        use std::io::Read;
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut s = String::new();
                File::open(&fifo).unwrap().read_to_string(&mut s).unwrap();
                s
            })
        };
        atomic_write(&fifo, |w| {
            w.write_all(b"through").map_err(|e| Error::io("x", e))
        })
        .unwrap();
        // Checked before joining: were the pipe replaced, the reader would wait for ever.
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(reader.join().unwrap(), "through");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.txt");
        atomic_write(&p, |w| w.write_all(b"one").map_err(|e| Error::io("x", e))).unwrap();
        atomic_write(&p, |w| w.write_all(b"two").map_err(|e| Error::io("x", e))).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // A failing writer leaves the previous content and no temporary file.
        assert!(atomic_write(&p, |_| Err(Error::data("x", "boom"))).is_err());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
