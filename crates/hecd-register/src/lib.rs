//! Registers containers in the store with TTL heartbeats.
