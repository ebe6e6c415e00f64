//! Unit tests that drive the real rmcp server with raw JSON-RPC lines over a duplex pipe.

mod fixture;
mod pipeline;
mod protocol;
