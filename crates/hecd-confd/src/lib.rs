//! A confd-compatible renderer: template resources, confd's functions, check and reload.
