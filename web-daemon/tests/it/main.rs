//! pacerd integration tests: one binary, real daemons on temp homes.

mod cli;
mod fixture;
mod migrations;
mod socket;
