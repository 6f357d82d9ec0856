//! Go text/template, byte-identical to Go 1.19, written with nom.
