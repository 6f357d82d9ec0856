//! Go 1.19's standard-library semantics, each reproduced once, for the crates that must
//! print exactly what a Go program prints (`hecd-template`, `hecd-confd`).
//!
//! | module | Go package |
//! |---|---|
//! | [`utf8`] | `unicode/utf8`: `DecodeRune` (invalid input decodes as U+FFFD, width 1); `fmt`'s truncation to a precision in runes |
//! | [`strconv`] | `Quote`, `QuoteToASCII`, `QuoteRune`, `Unquote`, `UnquoteChar`, `IsPrint`, `FormatFloat`, `ParseBool`, `Atoi` |
//! | [`strings`] | `ToUpper`, `ToLower`, `Split`, `Replace`, `Contains` on byte strings |
//! | [`base64`] | `base64.StdEncoding`'s `EncodeToString` and `DecodeString` |
//! | [`json`] | `encoding/json`'s reader: what it accepts and the error text it prints |
//! | [`sort`] | `sort.Sort`'s order of equal elements (it is not stable) |
//! | [`path`] | `Clean`, `Join`, `Base`, `Dir`, `Match` |
//!
//! The expectations in `tests/fixtures.rs` come from Go itself: `fixtures/gen/main.go`
//! prints them into `fixtures/expected.txt`, and the test re-runs the generator when `go`
//! is installed.
//!
//! **Invariant:** no internal dependencies, no I/O, no clock; `cargo xtask tidy` fails when
//! another crate defines these functions again.
//!
//! ```
//! use hecd_gostd::{path, strconv};
//!
//! assert_eq!(strconv::quote(b"a\tb\xff"), r#""a\tb\xff""#);
//! assert_eq!(path::clean("/a/../b//c/"), "/b/c");
//! assert_eq!(path::matches("/app/*", "/app/web1"), Ok(true));
//! assert_eq!(
//!     strconv::atoi("x").unwrap_err().to_string(),
//!     r#"strconv.Atoi: parsing "x": invalid syntax"#
//! );
//! ```
#![warn(missing_docs)]

pub mod base64;
pub mod json;
pub mod path;
pub mod sort;
pub mod strconv;
pub mod strings;
pub mod utf8;
