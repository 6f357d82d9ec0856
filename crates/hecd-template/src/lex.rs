//! The lexer: Go's text/template tokens, recognised with nom combinators.
