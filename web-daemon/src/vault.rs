//! Token vault.
