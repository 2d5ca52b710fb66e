//! A graduatoria's pretty JSON, byte for byte what `serde_json::to_writer_pretty` writes, with
//! the two long arrays (the ranking's rows, the inputs) serialized in parallel.
//!
//! At 100,000 applicants the document is about 110 MB, nine tenths of it rows and inputs, and
//! serializing it on one thread was most of `incrocio graduatoria`'s time. Here the rest of the
//! document (the "shell": every field, the two arrays empty) is serialized as serde_json does,
//! and each array is written in its place: its elements in batches, each batch serialized on
//! the rayon pool into a few reused buffers, written in order. An element is serialized at depth
//! 0 and indented to its depth by a space run after each newline (a JSON string holds no raw
//! newline), which is how serde_json's pretty formatter indents it in place. Memory stays at
//! one batch. A test holds the bytes to `to_writer_pretty`'s on graduatorie with ties,
//! exclusions, reserves, an empty ranking and warnings.

use std::io::Write;

use rayon::prelude::*;
use serde::Serialize;

use super::rank::Graduatoria;

/// Elements serialized per parallel batch.
const BATCH: usize = 8192;

/// The indentation of an element of a top-level array: depth 2.
const ELEMENT_INDENT: &[u8] = b"    ";

impl Graduatoria {
    /// Writes the graduatoria as `serde_json::to_writer_pretty(w, self)` does, to the byte, the
    /// rows and inputs serialized in parallel (see the module's documentation).
    pub fn write_pretty<W: Write>(&self, w: &mut W) -> std::io::Result<()> {
        // Every field but the two arrays, listed in full: a field added to `Graduatoria` fails
        // to compile here rather than go missing from the document.
        let shell = Graduatoria {
            rules: self.rules.clone(),
            publication_date: self.publication_date,
            counting_date: self.counting_date,
            posts: self.posts,
            input_digest: self.input_digest.clone(),
            ranking: Vec::new(),
            excluded: self.excluded.clone(),
            list: self.list.clone(),
            warnings: self.warnings.clone(),
            inputs: Vec::new(),
        };
        let text = serde_json::to_vec_pretty(&shell)?;
        let rest = up_to_array(w, &text, "ranking")?;
        write_array(w, &self.ranking)?;
        let rest = up_to_array(w, rest, "inputs")?;
        write_array(w, &self.inputs)?;
        w.write_all(rest)
    }
}

/// Writes `shell` up to the empty array of the top-level `key` (its `[]` left out) and returns
/// what follows it.
fn up_to_array<'a, W: Write>(w: &mut W, shell: &'a [u8], key: &str) -> std::io::Result<&'a [u8]> {
    // A top-level key is the only one indented by two spaces after a newline.
    let marker = format!("\n  \"{key}\": []");
    let at = memchr::memmem::find(shell, marker.as_bytes()).ok_or_else(|| {
        std::io::Error::other(format!("the graduatoria's JSON has no top-level {key}"))
    })?;
    let end = at + marker.len();
    w.write_all(&shell[..end - 2])?;
    Ok(&shell[end..])
}

/// `[`, each element on its own line at depth 2, `]` at depth 1 — or `[]` when empty. Each
/// batch is cut into a few pieces per thread, each piece serialized into its own buffer (the
/// buffers reused from batch to batch: no allocation per element, no fresh pages after the
/// first batch), and the buffers written in order.
fn write_array<W: Write, T: Serialize + Sync>(w: &mut W, items: &[T]) -> std::io::Result<()> {
    if items.is_empty() {
        return w.write_all(b"[]");
    }
    w.write_all(b"[")?;
    let pieces = 4 * rayon::current_num_threads().max(1);
    let mut buffers: Vec<Vec<u8>> = vec![Vec::new(); pieces];
    for (b, batch) in items.chunks(BATCH).enumerate() {
        let per_piece = batch.len().div_ceil(pieces);
        buffers
            .par_iter_mut()
            .zip(batch.par_chunks(per_piece))
            .enumerate()
            .try_for_each_init(Vec::new, |scratch, (k, (out, piece))| {
                out.clear();
                for (j, item) in piece.iter().enumerate() {
                    let first = b == 0 && k == 0 && j == 0;
                    out.extend_from_slice(if first { b"\n" } else { b",\n" });
                    out.extend_from_slice(ELEMENT_INDENT);
                    scratch.clear();
                    serde_json::to_writer_pretty(&mut *scratch, item)?;
                    indent_into(scratch, out);
                }
                Ok::<_, std::io::Error>(())
            })?;
        // A batch shorter than the pieces leaves the last buffers unused (cleared above only
        // when used): write only those filled by this batch.
        let used = batch.len().div_ceil(per_piece);
        for out in &buffers[..used] {
            w.write_all(out)?;
        }
    }
    w.write_all(b"\n  ]")
}

/// Appends `text` to `out` with [`ELEMENT_INDENT`] after each newline.
fn indent_into(text: &[u8], out: &mut Vec<u8>) {
    let mut from = 0;
    for nl in memchr::memchr_iter(b'\n', text) {
        out.extend_from_slice(&text[from..=nl]);
        out.extend_from_slice(ELEMENT_INDENT);
        from = nl + 1;
    }
    out.extend_from_slice(&text[from..]);
}
