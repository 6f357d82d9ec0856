//! Cross-process end-to-end tests: they start the real binaries on loopback.
