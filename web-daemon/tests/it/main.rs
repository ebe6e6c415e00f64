//! pacerd integration tests: one binary, real daemons on temp homes.

mod a2a;
mod analytics;
mod apps;
mod budget;
mod cache;
mod cli;
mod dashboard;
mod data;
mod fixture;
mod flows;
mod http_api;
mod import;
mod isolation;
mod jsonrpc;
mod key_tiers;
mod mcp_client;
mod mcp_e2e;
mod migrations;
mod oauth_apps;
mod oauth_flow;
mod provider;
mod sandbox_gate;
mod secrets;
mod security;
mod socket;
mod transports;
