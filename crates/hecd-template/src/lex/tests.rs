//! Unit tests for the lexer: token kinds, trim markers, errors.

use super::{Lexer, Tok};

#[track_caller]
fn check(src: &str, want: &[(Tok, &str)]) {
    let toks = Lexer::lex_all(src.as_bytes(), true, true);
    let got: Vec<(Tok, String)> = toks
        .iter()
        .map(|t| {
            let v = match t.typ {
                Tok::Error => t.msg.as_deref().unwrap_or("").to_string(),
                _ => String::from_utf8_lossy(t.val(src.as_bytes())).into_owned(),
            };
            (t.typ, v)
        })
        .collect();
    let want: Vec<(Tok, String)> = want.iter().map(|(t, s)| (*t, s.to_string())).collect();
    assert_eq!(got, want, "lexing {src:?}");
}

#[test]
fn text_and_actions() {
    check(
        "a{{.x}}b",
        &[
            (Tok::Text, "a"),
            (Tok::LeftDelim, "{{"),
            (Tok::Field, ".x"),
            (Tok::RightDelim, "}}"),
            (Tok::Text, "b"),
            (Tok::Eof, ""),
        ],
    );
}

#[test]
fn trim_markers() {
    check(
        "a  {{- 3 -}}  b",
        &[
            (Tok::Text, "a"),
            (Tok::LeftDelim, "{{"),
            (Tok::Number, "3"),
            (Tok::RightDelim, "}}"),
            (Tok::Text, "b"),
            (Tok::Eof, ""),
        ],
    );
    check(
        "{{-3}}",
        &[(Tok::LeftDelim, "{{"), (Tok::Number, "-3"), (Tok::RightDelim, "}}"), (Tok::Eof, "")],
    );
}

#[test]
fn comments_vanish() {
    check("a {{- /* c */ -}} b", &[(Tok::Text, "a"), (Tok::Text, "b"), (Tok::Eof, "")]);
    check("{{/* x", &[(Tok::Error, "unclosed comment")]);
    check("{{/*c*/ }}", &[(Tok::Error, "comment ends before closing delimiter")]);
}

#[test]
fn numbers_and_errors() {
    check(
        "{{0x1F 1e3 1+2i 'a'}}",
        &[
            (Tok::LeftDelim, "{{"),
            (Tok::Number, "0x1F"),
            (Tok::Space, " "),
            (Tok::Number, "1e3"),
            (Tok::Space, " "),
            (Tok::Complex, "1+2i"),
            (Tok::Space, " "),
            (Tok::CharConstant, "'a'"),
            (Tok::RightDelim, "}}"),
            (Tok::Eof, ""),
        ],
    );
    check("{{3x}}", &[(Tok::LeftDelim, "{{"), (Tok::Error, "bad number syntax: \"3x\"")]);
    check("{{.a-b}}", &[(Tok::LeftDelim, "{{"), (Tok::Error, "bad character U+002D '-'")]);
}

#[test]
fn strings_and_keywords() {
    check(
        "{{if \"a\\\"b\" `r`}}",
        &[
            (Tok::LeftDelim, "{{"),
            (Tok::If, "if"),
            (Tok::Space, " "),
            (Tok::String, "\"a\\\"b\""),
            (Tok::Space, " "),
            (Tok::RawString, "`r`"),
            (Tok::RightDelim, "}}"),
            (Tok::Eof, ""),
        ],
    );
    check("{{\"a\n\"}}", &[(Tok::LeftDelim, "{{"), (Tok::Error, "unterminated quoted string")]);
    check("{{.x", &[(Tok::LeftDelim, "{{"), (Tok::Field, ".x"), (Tok::Error, "unclosed action")]);
}
