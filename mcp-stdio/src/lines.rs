//! Newline-delimited input with a per-line size cap.
//!
//! A line over the cap is never held in memory: its bytes stream through an [`IdScanner`] so the
//! relay can still answer the request's `id` with an error (MCP clients put `id` anywhere,
//! often after a large `params`).

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// One line read by [`LineReader`], without its newline.
#[derive(Debug, PartialEq)]
pub enum Line {
    /// A line within the cap.
    Complete(Vec<u8>),
    /// A line over the cap, discarded. `id` is its top-level `id` when one was found;
    /// `has_method` tells whether it had a top-level `method` (a request, not a response).
    Oversize { len: usize, id: Option<Value>, has_method: bool },
}

/// Reads capped lines from an async byte stream.
pub struct LineReader<R> {
    inner: BufReader<R>,
    max: usize,
}

impl<R: AsyncRead + Unpin> LineReader<R> {
    /// Wraps `inner`; lines longer than `max` bytes become [`Line::Oversize`].
    pub fn new(inner: R, max: usize) -> Self {
        Self { inner: BufReader::with_capacity(64 * 1024, inner), max }
    }

    /// The next line, or `None` at end of stream. A final line without a newline still counts.
    pub async fn next_line(&mut self) -> std::io::Result<Option<Line>> {
        let mut buf = Vec::new();
        let mut oversize: Option<(usize, IdScanner)> = None;
        let mut seen_any = false;
        loop {
            let chunk = self.inner.fill_buf().await?;
            if chunk.is_empty() {
                if !seen_any {
                    return Ok(None);
                }
                break;
            }
            seen_any = true;
            let newline = chunk.iter().position(|&b| b == b'\n');
            let part = &chunk[..newline.unwrap_or(chunk.len())];
            match oversize.as_mut() {
                Some((len, scanner)) => {
                    *len += part.len();
                    scanner.feed(part);
                }
                None if buf.len() + part.len() > self.max => {
                    let mut scanner = IdScanner::default();
                    scanner.feed(&buf);
                    scanner.feed(part);
                    oversize = Some((buf.len() + part.len(), scanner));
                    buf = Vec::new();
                }
                None => buf.extend_from_slice(part),
            }
            let used = part.len() + usize::from(newline.is_some());
            self.inner.consume(used);
            if newline.is_some() {
                break;
            }
        }
        Ok(Some(match oversize {
            Some((len, scanner)) => Line::Oversize { len, has_method: scanner.has_method, id: scanner.finish() },
            None => Line::Complete(buf),
        }))
    }
}

/// Finds the top-level `"id"` member of a JSON object fed to it in pieces, in constant memory,
/// and notes whether a top-level `"method"` member exists.
///
/// Only a string or number id is reported; anything malformed simply yields `None`.
#[derive(Debug, Default)]
pub struct IdScanner {
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// At depth 1: the next string is a member name.
    expect_key: bool,
    /// The current member name at depth 1 (with its closing quote), while short enough to
    /// possibly be `id` or `method`.
    key: Option<Vec<u8>>,
    /// Raw bytes of the `id` value while it is being read.
    capture: Option<Vec<u8>>,
    found: Option<Value>,
    /// A top-level `method` member was seen.
    has_method: bool,
}

/// Longest id value kept; longer ids are not reported.
const MAX_ID_BYTES: usize = 1024;

impl IdScanner {
    /// Feeds the next bytes of the line.
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.byte(b);
        }
    }

    /// The id found, if any.
    pub fn finish(mut self) -> Option<Value> {
        self.end_capture();
        self.found
    }

    fn byte(&mut self, b: u8) {
        if self.in_string {
            self.record(b);
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            return;
        }
        match b {
            b'"' => {
                self.in_string = true;
                if self.depth == 1 && self.expect_key {
                    self.expect_key = false;
                    self.key = Some(Vec::new());
                    return;
                }
                self.record(b);
            }
            b'{' | b'[' => {
                self.record(b);
                self.depth += 1;
                if self.depth == 1 {
                    self.expect_key = b == b'{';
                }
            }
            b'}' | b']' if self.depth == 1 => {
                self.end_capture();
                self.depth = 0;
            }
            b'}' | b']' => {
                self.record(b);
                self.depth = self.depth.saturating_sub(1);
            }
            b':' if self.depth == 1 => match self.key.take().as_deref() {
                Some(b"id\"") => self.capture = Some(Vec::new()),
                Some(b"method\"") => self.has_method = true,
                _ => {}
            },
            b',' if self.depth == 1 => {
                self.end_capture();
                self.expect_key = true;
            }
            _ => self.record(b),
        }
    }

    /// Appends to the member name or the id value, whichever is being read.
    fn record(&mut self, b: u8) {
        if let Some(key) = self.key.as_mut().filter(|_| self.in_string) {
            if key.len() < b"method\"".len() {
                key.push(b);
            } else {
                self.key = None;
            }
        } else if let Some(capture) = self.capture.as_mut() {
            if capture.len() < MAX_ID_BYTES {
                capture.push(b);
            } else {
                self.capture = None;
            }
        }
    }

    fn end_capture(&mut self) {
        if let Some(raw) = self.capture.take()
            && self.found.is_none()
            && let Ok(value @ (Value::String(_) | Value::Number(_))) = serde_json::from_slice::<Value>(&raw)
        {
            self.found = Some(value);
        }
    }
}

#[cfg(test)]
mod proof;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn scan(text: &str, chunk: usize) -> Option<Value> {
        scanner(text, chunk).finish()
    }

    fn scanner(text: &str, chunk: usize) -> IdScanner {
        let mut s = IdScanner::default();
        for piece in text.as_bytes().chunks(chunk) {
            s.feed(piece);
        }
        s
    }

    #[test]
    fn finds_top_level_id_anywhere() {
        let line =
            r#"{"jsonrpc":"2.0","method":"tools/call","params":{"id":1,"s":"x\"id\":9, \\","a":[{"id":2}]},"id":42}"#;
        for chunk in [1, 3, 7, line.len()] {
            assert_eq!(scan(line, chunk), Some(json!(42)), "chunk {chunk}");
        }
        assert_eq!(scan(r#"{ "id" : "abc" , "method":"m"}"#, 2), Some(json!("abc")));
        assert_eq!(scan(r#"{"idx":1,"xid":2,"i":3}"#, 4), None);
        assert_eq!(scan(r#"{"method":"m","params":{"id":5}}"#, 4), None);
        assert_eq!(scan(r#"{"id":{"a":1}}"#, 4), None);
        assert_eq!(scan(r#"[{"id":1}]"#, 4), None);
        assert_eq!(scan(r#"{"id":7,"params":{"huge":"…"#, 4), Some(json!(7)));
    }

    #[test]
    fn notes_a_top_level_method() {
        assert!(scanner(r#"{"id":1,"method":"m"}"#, 3).has_method);
        let response = r#"{"id":1,"result":{"method":"m"},"methods":1,"metho":2,"x":"method"}"#;
        assert!(!scanner(response, 3).has_method);
    }

    #[tokio::test]
    async fn caps_lines_and_keeps_going() {
        let big = format!(r#"{{"method":"m","params":"{}","id":3}}"#, "a".repeat(100));
        let input = format!("{{\"id\":1}}\n{big}\n\nlast");
        let mut r = LineReader::new(input.as_bytes(), 50);
        assert_eq!(r.next_line().await.unwrap(), Some(Line::Complete(br#"{"id":1}"#.to_vec())));
        assert_eq!(
            r.next_line().await.unwrap(),
            Some(Line::Oversize { len: big.len(), id: Some(json!(3)), has_method: true })
        );
        assert_eq!(r.next_line().await.unwrap(), Some(Line::Complete(Vec::new())));
        assert_eq!(r.next_line().await.unwrap(), Some(Line::Complete(b"last".to_vec())));
        assert_eq!(r.next_line().await.unwrap(), None);
    }
}
