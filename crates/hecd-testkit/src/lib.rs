//! Test harness: spawn binaries, wait for readiness, temp dirs, free ports.
