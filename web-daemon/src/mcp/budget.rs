//! The result budget: every tool result (content plus `structuredContent`) stays within
//! `result_budget_bytes` of JSON (default [`DEFAULT_RESULT_BUDGET`]) on every transport.
//!
//! Tools fit themselves: lists drop trailing items and hand out a cursor ([`fit_list`]),
//! streams take fewer shape-keeping points. The gate checks every result once more
//! ([`enforce`]); a result that still does not fit becomes an `isError` answer saying how to ask
//! for less, so an oversized answer never reaches a client.

use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
use serde::Serialize;

/// Default budget of one tool result, in bytes of JSON.
pub const DEFAULT_RESULT_BUDGET: usize = 16 * 1024;

/// Room left for the summary text and the result envelope.
pub const ENVELOPE_BYTES: usize = 1024;

/// Serialized size of `value` (0 if it cannot be serialized), counted without building the JSON.
pub fn size_of<T: Serialize + ?Sized>(value: &T) -> usize {
    let mut counter = Counter(0);
    match serde_json::to_writer(&mut counter, value) {
        Ok(()) => counter.0,
        Err(_) => 0,
    }
}

/// An `io::Write` that only counts bytes.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Keeps the longest prefix of `items` whose result, as measured by `size` (bytes of JSON,
/// e.g. `|page| size_of(&Page { items: page })`), fits `budget` less [`ENVELOPE_BYTES`].
/// Returns whether items were dropped.
pub fn fit_list<T>(items: &mut Vec<T>, budget: usize, size: impl Fn(&[T]) -> usize) -> bool {
    let limit = budget.saturating_sub(ENVELOPE_BYTES);
    if size(items) <= limit {
        return false;
    }
    // Largest n with size(items[..n]) <= limit, by binary search.
    let (mut lo, mut hi) = (0usize, items.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if size(&items[..mid]) <= limit { lo = mid } else { hi = mid - 1 }
    }
    items.truncate(lo);
    true
}

/// The last check: a complete result over `budget` is replaced by an error result.
pub fn enforce(response: CallToolResponse, budget: usize, tool: &str) -> CallToolResponse {
    let CallToolResponse::Complete(result) = &response else { return response };
    let size = size_of(result);
    if size <= budget {
        return response;
    }
    tracing::warn!(tool, size, budget, "tool result over the budget; answered with an error instead");
    let text = format!(
        "The result of {tool} ({size} bytes) is larger than pacer's {budget}-byte result budget. Ask for less: \
         a narrower time window, a smaller limit, fewer stream keys or fewer max_points."
    );
    CallToolResult::error(vec![ContentBlock::text(text)]).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_list_keeps_the_longest_prefix_that_fits() {
        let mut items: Vec<String> = (0..100).map(|i| format!("{i:0100}")).collect();
        let cut = fit_list(&mut items, ENVELOPE_BYTES + 1_000, size_of);
        assert!(cut);
        assert!(size_of(&items) <= 1_000 && size_of(&items[..]) + 103 > 1_000, "{}", items.len());
        let mut few = vec![1, 2, 3];
        assert!(!fit_list(&mut few, DEFAULT_RESULT_BUDGET, size_of));
        assert_eq!(few.len(), 3);
    }

    #[test]
    fn oversized_results_become_errors() {
        let big = CallToolResult::success(vec![ContentBlock::text("x".repeat(2_000))]);
        let out = enforce(big.into(), 1_000, "t");
        let CallToolResponse::Complete(r) = out else { panic!("complete") };
        assert_eq!(r.is_error, Some(true));
        assert!(size_of(&r) < 1_000);
    }
}
