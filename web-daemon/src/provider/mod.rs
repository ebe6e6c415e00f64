//! Fitness providers.
