//! [`Untrusted`]: the one way text a client chose reaches the log.
//!
//! The log is line-oriented and read by people and tools; a client string with a newline could
//! forge a log line, a terminal escape could rewrite the screen, and a long one could flood the
//! file. `Untrusted` prints at most [`MAX_LOGGED_CHARS`] characters and escapes every control
//! character (and Unicode line separators and bidirectional overrides) the way Rust's
//! `escape_default` does (`\n`, `\u{1b}`, …).

use std::fmt::{self, Write};

/// Most characters of one client-supplied value that reach the log.
pub const MAX_LOGGED_CHARS: usize = 200;

/// Client-supplied text, bounded and escaped for the log: `tracing::info!(client = %Untrusted(&s))`.
#[derive(Debug, Clone, Copy)]
pub struct Untrusted<'a>(pub &'a str);

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

impl fmt::Display for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.0.chars().enumerate() {
            if i == MAX_LOGGED_CHARS {
                return write!(f, "…({} more chars)", self.0.chars().count() - i);
            }
            if needs_escape(c) {
                for e in c.escape_default() {
                    f.write_char(e)?;
                }
            } else {
                f.write_char(c)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_line_breaks_and_escapes() {
        let forged = "pacer-mcp/1\n2026-01-01T00:00:00Z  INFO forged\r\u{1b}[2K\u{2028}\u{202e}";
        let shown = Untrusted(forged).to_string();
        assert!(!shown.chars().any(needs_escape), "{shown}");
        assert_eq!(shown, "pacer-mcp/1\\n2026-01-01T00:00:00Z  INFO forged\\r\\u{1b}[2K\\u{2028}\\u{202e}");
        assert_eq!(Untrusted("plain é").to_string(), "plain é");
    }

    #[test]
    fn bounded() {
        let long = "x".repeat(MAX_LOGGED_CHARS + 50);
        let shown = Untrusted(&long).to_string();
        assert!(shown.starts_with(&"x".repeat(MAX_LOGGED_CHARS)));
        assert!(shown.ends_with("…(50 more chars)"), "{shown}");
    }
}
