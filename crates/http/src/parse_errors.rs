//! The answers hyper gives on its own, as problem+json like every other non-2xx.
//!
//! hyper answers a request it cannot parse before any handler runs: a request target longer
//! than the `http` crate takes (65,534 bytes: 414), a head larger than the read buffer (431),
//! or bytes that are not HTTP/1.1 (400). It writes a bare head with `content-length: 0` and
//! closes the connection, and has no hook to change it. [`ProblemIo`] wraps the connection and
//! rewrites exactly that write into the same status with a problem body; every other byte goes
//! through untouched, vectored writes included. The service's own responses never match: each non-2xx it makes carries a
//! `content-type`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::problem::{PROBLEM_JSON, Problem};

/// A connection whose hyper-made error answers are rewritten as problem+json.
#[derive(Debug)]
pub struct ProblemIo<S> {
    inner: S,
    /// A rewritten answer being written: its bytes, how many are written, and the length of
    /// the write it replaces (reported to hyper once all are written).
    rewrite: Option<(Vec<u8>, usize, usize)>,
}

impl<S> ProblemIo<S> {
    /// Wraps a connection.
    pub fn new(inner: S) -> ProblemIo<S> {
        ProblemIo {
            inner,
            rewrite: None,
        }
    }
}

/// The problem answer for a bare error head hyper wrote, if `buf` is one.
fn replacement(buf: &[u8]) -> Option<Vec<u8>> {
    let head = std::str::from_utf8(buf).ok()?;
    if !head.ends_with("\r\n\r\n") {
        return None;
    }
    let (status_line, rest) = head.split_once("\r\n")?;
    let code: u16 = status_line
        .strip_prefix("HTTP/1.1 ")?
        .get(..3)?
        .parse()
        .ok()?;
    let headers: Vec<&str> = rest.trim_end().split("\r\n").collect();
    let bare = headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("content-length: 0"))
        && headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case("connection: close"))
        && !headers
            .iter()
            .any(|h| h.to_ascii_lowercase().starts_with("content-type:"));
    if !bare {
        return None;
    }
    let problem = match StatusCode::from_u16(code).ok()? {
        StatusCode::URI_TOO_LONG => Problem::uri_too_long(super::MAX_URI_BYTES),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            Problem::head_too_large(super::MAX_HEAD_BYTES)
        }
        StatusCode::BAD_REQUEST => Problem::not_http(),
        _ => return None,
    };
    let body = serde_json::to_vec(&problem).ok()?;
    let date = headers
        .iter()
        .find(|h| h.to_ascii_lowercase().starts_with("date:"));
    let mut out = format!(
        "{status_line}\r\ncontent-type: {PROBLEM_JSON}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    if let Some(d) = date {
        out.push_str(d);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(&body);
    Some(out)
}

impl<S: AsyncRead + Unpin> AsyncRead for ProblemIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ProblemIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.rewrite.is_none()
            && buf.starts_with(b"HTTP/1.1 4")
            && let Some(bytes) = replacement(buf)
        {
            this.rewrite = Some((bytes, 0, buf.len()));
        }
        let Some((bytes, written, claimed)) = &mut this.rewrite else {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        };
        while *written < bytes.len() {
            match Pin::new(&mut this.inner).poll_write(cx, &bytes[*written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *written += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        let claimed = *claimed;
        this.rewrite = None;
        Poll::Ready(Ok(claimed))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    /// Vectored as the connection is, so the service's answers go out as hyper writes them (head
    /// and body without a copy); hyper's bare error head comes as the one non-empty slice and
    /// goes through [`ProblemIo::poll_write`].
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut full = bufs.iter().filter(|b| !b.is_empty());
        if let (Some(only), None) = (full.next(), full.next())
            && (self.rewrite.is_some() || only.starts_with(b"HTTP/1.1 4"))
        {
            return self.poll_write(cx, only);
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hypers_bare_error_heads_are_rewritten() {
        let bare = b"HTTP/1.1 414 URI Too Long\r\nconnection: close\r\ncontent-length: 0\r\ndate: Mon, 07 Dec 2026 00:58:22 GMT\r\n\r\n";
        let out = String::from_utf8(replacement(bare).unwrap()).unwrap();
        assert!(
            out.starts_with(
                "HTTP/1.1 414 URI Too Long\r\ncontent-type: application/problem+json\r\n"
            ),
            "{out}"
        );
        assert!(
            out.contains("date: Mon, 07 Dec 2026 00:58:22 GMT\r\n\r\n{"),
            "{out}"
        );
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["status"], 414);
        // A response of the service (typed) and a 2xx are left alone.
        assert!(replacement(b"HTTP/1.1 404 Not Found\r\ncontent-type: application/problem+json\r\nconnection: close\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(
            replacement(
                b"HTTP/1.1 204 No Content\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
            )
            .is_none()
        );
        // A status hyper does not make on its own is left alone too.
        assert!(
            replacement(
                b"HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
            )
            .is_none()
        );
    }
}
