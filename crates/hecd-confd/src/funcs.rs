//! confd's template functions, registered with their Go signatures.
