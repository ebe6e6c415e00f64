//! Integration tests: the real `pacer-mcp` binary against a fake `pacerd` speaking the real
//! socket handshake.

mod cli;
mod failures;
mod relay;
mod support;
