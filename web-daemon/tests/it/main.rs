//! pacerd integration tests: one binary, real daemons on temp homes.

mod cli;
mod fixture;
mod http_api;
mod mcp_client;
mod mcp_e2e;
mod migrations;
mod provider;
mod socket;
