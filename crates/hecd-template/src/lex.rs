//! The lexer: Go's text/template tokens, recognised with nom combinators.
//!
//! Mirrors Go 1.19's `parse/lex.go` state machine (delimiters, trim
//! markers, comments, the terminator rule after identifiers, Go number
//! scanning) so token boundaries, lines and error texts match exactly.

use nom::bytes::complete::{tag, take_while};
use nom::combinator::opt;
use nom::error::{ErrorKind, ParseError};
use nom::{IResult, Parser};

use hecd_gostd::utf8::decode_rune;

/// Our nom error: where scanning stopped and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LexError<'a> {
    pub input: &'a [u8],
    pub kind: ErrorKind,
}

impl<'a> ParseError<&'a [u8]> for LexError<'a> {
    fn from_error_kind(input: &'a [u8], kind: ErrorKind) -> Self {
        LexError { input, kind }
    }
    fn append(_input: &'a [u8], _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

type LResult<'a, O> = IResult<&'a [u8], O, LexError<'a>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    Error,
    Bool,
    Char,
    CharConstant,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // Keywords.
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

impl Tok {
    pub fn is_keyword(self) -> bool {
        matches!(
            self,
            Tok::Block
                | Tok::Break
                | Tok::Continue
                | Tok::Dot
                | Tok::Define
                | Tok::Else
                | Tok::End
                | Tok::If
                | Tok::Nil
                | Tok::Range
                | Tok::Template
                | Tok::With
        )
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub typ: Tok,
    pub pos: u32,
    pub end: u32,
    pub line: u32,
    /// Error message for `Tok::Error`.
    pub msg: Option<Box<str>>,
}

impl Token {
    pub fn val<'a>(&self, src: &'a [u8]) -> &'a [u8] {
        &src[self.pos as usize..self.end as usize]
    }

    /// Go's `item.String()` used in "unexpected X in Y".
    pub fn describe(&self, src: &[u8]) -> String {
        match self.typ {
            Tok::Eof => "EOF".to_string(),
            Tok::Error => self.msg.as_deref().unwrap_or("").to_string(),
            t if t.is_keyword() => {
                format!("<{}>", String::from_utf8_lossy(self.val(src)))
            }
            _ => {
                let v = self.val(src);
                if v.len() > 10 {
                    // %.10q: quote the first 10 runes.
                    let mut end = 0;
                    let mut n = 0;
                    while end < v.len() && n < 10 {
                        end += decode_rune(&v[end..]).1.max(1);
                        n += 1;
                    }
                    if end < v.len() {
                        return format!("{}...", hecd_gostd::strconv::quote(&v[..end]));
                    }
                }
                hecd_gostd::strconv::quote(v)
            }
        }
    }
}

const LEFT: &[u8] = b"{{";
const RIGHT: &[u8] = b"}}";

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

mod alnum_table;

/// Go's `isAlphaNumeric`: `_`, `unicode.IsLetter` or `unicode.IsDigit`.
fn is_alnum(c: char) -> bool {
    let u = c as u32;
    if u < 0x80 {
        return c == '_' || c.is_ascii_alphanumeric();
    }
    let t = alnum_table::ALNUM;
    let i = t.partition_point(|&(_, last)| last < u);
    i < t.len() && t[i].0 <= u
}

fn has_left_trim(s: &[u8]) -> bool {
    s.len() >= 2 && s[0] == b'-' && is_space(s[1])
}

fn has_right_trim(s: &[u8]) -> bool {
    s.len() >= 2 && is_space(s[0]) && s[1] == b'-'
}

/// nom: a run of bytes from `set`.
fn run_of<'a>(
    set: &'static [u8],
) -> impl Parser<&'a [u8], Output = &'a [u8], Error = LexError<'a>> {
    take_while(move |b| set.contains(&b))
}

fn accept<'a>(set: &'static [u8], i: &'a [u8]) -> (&'a [u8], bool) {
    match i.first() {
        Some(b) if set.contains(b) => (&i[1..], true),
        _ => (i, false),
    }
}

/// Go's `scanNumber`: returns the rest and whether it was well formed (when
/// not, one extra alphanumeric rune has been consumed).
fn scan_number(i: &[u8]) -> (&[u8], bool) {
    let (i, _) = accept(b"+-", i);
    let mut digits: &'static [u8] = b"0123456789_";
    let (mut i, zero) = accept(b"0", i);
    if zero {
        let (j, x) = accept(b"xX", i);
        if x {
            digits = b"0123456789abcdefABCDEF_";
            i = j;
        } else {
            let (j, o) = accept(b"oO", i);
            if o {
                digits = b"01234567_";
                i = j;
            } else {
                let (j, b) = accept(b"bB", i);
                if b {
                    digits = b"01_";
                    i = j;
                }
            }
        }
    }
    let r: LResult<'_, _> = (run_of(digits), opt((tag(&b"."[..]), run_of(digits)))).parse(i);
    let Ok((mut i, _)) = r else { return (i, false) };
    if digits.len() == 11 {
        let (j, e) = accept(b"eE", i);
        if e {
            let (j, _) = accept(b"+-", j);
            let r: LResult<'_, _> = run_of(b"0123456789_").parse(j);
            i = r.map(|(k, _)| k).unwrap_or(j);
        }
    }
    if digits.len() == 23 {
        let (j, p) = accept(b"pP", i);
        if p {
            let (j, _) = accept(b"+-", j);
            let r: LResult<'_, _> = run_of(b"0123456789_").parse(j);
            i = r.map(|(k, _)| k).unwrap_or(j);
        }
    }
    let (i, _) = accept(b"i", i);
    if !i.is_empty() {
        let (c, w) = decode_rune(i);
        if is_alnum(c) {
            return (&i[w..], false);
        }
    }
    (i, true)
}

/// nom: the body of an identifier (alphanumeric runes).
fn alnum_run(i: &[u8]) -> LResult<'_, &[u8]> {
    let mut n = 0;
    while n < i.len() {
        let (c, w) = decode_rune(&i[n..]);
        if !is_alnum(c) {
            break;
        }
        n += w;
    }
    Ok((&i[n..], &i[..n]))
}

pub(crate) struct Lexer<'a> {
    src: &'a [u8],
    left: &'a [u8],
    right: &'a [u8],
    pos: usize,
    start: usize,
    /// Line of `start` (1-based).
    start_line: u32,
    paren_depth: i32,
    break_ok: bool,
    continue_ok: bool,
    tokens: Vec<Token>,
    done: bool,
}

#[derive(Clone, Copy)]
enum State {
    Text,
    LeftDelim,
    Comment,
    RightDelim,
    Inside,
    Space,
    Done,
}

impl<'a> Lexer<'a> {
    /// Lexes the whole input (the lexer never depends on the parser).
    #[cfg(test)]
    pub fn lex_all(src: &'a [u8], break_ok: bool, continue_ok: bool) -> Vec<Token> {
        Lexer::lex_all_delims(src, LEFT, RIGHT, break_ok, continue_ok)
    }

    /// Lexes with custom delimiters (empty means the default `{{` / `}}`).
    pub fn lex_all_delims(
        src: &'a [u8],
        left: &'a [u8],
        right: &'a [u8],
        break_ok: bool,
        continue_ok: bool,
    ) -> Vec<Token> {
        let mut l = Lexer {
            src,
            left: if left.is_empty() { LEFT } else { left },
            right: if right.is_empty() { RIGHT } else { right },
            pos: 0,
            start: 0,
            start_line: 1,
            paren_depth: 0,
            break_ok,
            continue_ok,
            tokens: Vec::new(),
            done: false,
        };
        let mut st = State::Text;
        while !l.done {
            st = match st {
                State::Text => l.lex_text(),
                State::LeftDelim => l.lex_left_delim(),
                State::Comment => l.lex_comment(),
                State::RightDelim => l.lex_right_delim(),
                State::Inside => l.lex_inside(),
                State::Space => l.lex_space(),
                State::Done => break,
            };
        }
        l.tokens
    }

    fn count_lines(&self, a: usize, b: usize) -> u32 {
        self.src[a..b].iter().filter(|&&c| c == b'\n').count() as u32
    }

    fn emit(&mut self, typ: Tok) {
        self.tokens.push(Token {
            typ,
            pos: self.start as u32,
            end: self.pos as u32,
            line: self.start_line,
            msg: None,
        });
        self.ignore();
    }

    fn ignore(&mut self) {
        self.start_line += self.count_lines(self.start, self.pos);
        self.start = self.pos;
    }

    fn errorf(&mut self, msg: String) -> State {
        self.tokens.push(Token {
            typ: Tok::Error,
            pos: self.start as u32,
            end: self.pos as u32,
            line: self.start_line,
            msg: Some(msg.into()),
        });
        self.done = true;
        State::Done
    }

    fn rest(&self) -> &'a [u8] {
        &self.src[self.pos.min(self.src.len())..]
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let r = self.rest();
        if has_right_trim(r) && r[2..].starts_with(self.right) {
            return (true, true);
        }
        (r.starts_with(self.right), false)
    }

    fn lex_text(&mut self) -> State {
        let r = self.rest();
        if let Some(x) = find(r, self.left) {
            let delim_at = self.pos + x;
            let mut trim = 0;
            if has_left_trim(&self.src[delim_at + self.left.len()..]) {
                let text = &self.src[self.start..delim_at];
                trim = text.len() - trim_right_space(text).len();
            }
            self.pos = delim_at - trim;
            if self.pos > self.start {
                self.emit(Tok::Text);
            }
            self.pos += trim;
            self.ignore();
            return State::LeftDelim;
        }
        self.pos = self.src.len();
        if self.pos > self.start {
            self.emit(Tok::Text);
        }
        self.emit(Tok::Eof);
        self.done = true;
        State::Done
    }

    fn lex_left_delim(&mut self) -> State {
        self.pos += self.left.len();
        let trim = has_left_trim(self.rest());
        let after = if trim { 2 } else { 0 };
        if self.src[self.pos + after..].starts_with(b"/*") {
            self.pos += after;
            self.ignore();
            return State::Comment;
        }
        self.emit(Tok::LeftDelim);
        self.pos += after;
        self.ignore();
        self.paren_depth = 0;
        State::Inside
    }

    fn lex_comment(&mut self) -> State {
        self.pos += 2;
        let Some(i) = find(self.rest(), b"*/") else {
            return self.errorf("unclosed comment".into());
        };
        self.pos += i + 2;
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return self.errorf("comment ends before closing delimiter".into());
        }
        if trim {
            self.pos += 2;
        }
        self.pos += self.right.len();
        if trim {
            let r = self.rest();
            self.pos += r.len() - trim_left_space(r).len();
        }
        self.ignore();
        State::Text
    }

    fn lex_right_delim(&mut self) -> State {
        let trim = has_right_trim(self.rest());
        if trim {
            self.pos += 2;
            self.ignore();
        }
        self.pos += self.right.len();
        self.emit(Tok::RightDelim);
        if trim {
            let r = self.rest();
            self.pos += r.len() - trim_left_space(r).len();
            self.ignore();
        }
        State::Text
    }

    fn next_rune(&mut self) -> Option<char> {
        let r = self.rest();
        if r.is_empty() {
            return None;
        }
        let (c, w) = decode_rune(r);
        self.pos += w;
        Some(c)
    }

    fn at_terminator(&self) -> bool {
        let r = self.rest();
        match r.first() {
            None => true,
            Some(&b) if is_space(b) => true,
            Some(b'.' | b',' | b'|' | b':' | b')' | b'(') => true,
            _ => r.starts_with(self.right),
        }
    }

    fn lex_inside(&mut self) -> State {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return State::RightDelim;
            }
            return self.errorf("unclosed left paren".into());
        }
        let before = self.pos;
        let Some(c) = self.next_rune() else {
            return self.errorf("unclosed action".into());
        };
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                self.pos = before;
                return State::Space;
            }
            '=' => self.emit(Tok::Assign),
            ':' => {
                if self.next_rune() != Some('=') {
                    return self.errorf("expected :=".into());
                }
                self.emit(Tok::Declare);
            }
            '|' => self.emit(Tok::Pipe),
            '"' => return self.lex_quote(),
            '`' => return self.lex_raw_quote(),
            '$' => return self.lex_variable(),
            '\'' => return self.lex_char(),
            '.' if self.rest().first().is_some_and(|b| !b.is_ascii_digit()) => {
                return self.lex_field_or_variable(Tok::Field);
            }
            '.' | '+' | '-' | '0'..='9' => {
                self.pos = before;
                return self.lex_number();
            }
            c if is_alnum(c) => {
                self.pos = before;
                return self.lex_identifier();
            }
            '(' => {
                self.emit(Tok::LeftParen);
                self.paren_depth += 1;
            }
            ')' => {
                self.emit(Tok::RightParen);
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    return self.errorf(format!("unexpected right paren {}", sharp_u(c)));
                }
            }
            c if (c as u32) < 0x80 && (' '..='~').contains(&c) => self.emit(Tok::Char),
            c => return self.errorf(format!("unrecognized character in action: {}", sharp_u(c))),
        }
        State::Inside
    }

    fn lex_space(&mut self) -> State {
        let r: LResult<'_, &[u8]> = take_while(is_space).parse(self.rest());
        let n = r.map(|(_, s)| s.len()).unwrap_or(0);
        self.pos += n;
        let tail = &self.src[self.pos - 1..];
        if has_right_trim(tail) && tail[2..].starts_with(self.right) {
            self.pos -= 1;
            if n == 1 {
                return State::RightDelim;
            }
        }
        self.emit(Tok::Space);
        State::Inside
    }

    fn lex_identifier(&mut self) -> State {
        let (_, word) = alnum_run(self.rest()).unwrap_or((&[], &[]));
        self.pos += word.len();
        if !self.at_terminator() {
            let (c, _) = decode_rune(self.rest());
            return self.errorf(format!("bad character {}", sharp_u(c)));
        }
        let typ = match word {
            b"block" => Tok::Block,
            b"break" => {
                if self.break_ok {
                    Tok::Break
                } else {
                    Tok::Identifier
                }
            }
            b"continue" => {
                if self.continue_ok {
                    Tok::Continue
                } else {
                    Tok::Identifier
                }
            }
            b"define" => Tok::Define,
            b"else" => Tok::Else,
            b"end" => Tok::End,
            b"if" => Tok::If,
            b"range" => Tok::Range,
            b"nil" => Tok::Nil,
            b"template" => Tok::Template,
            b"with" => Tok::With,
            b"true" | b"false" => Tok::Bool,
            _ => Tok::Identifier,
        };
        self.emit(typ);
        State::Inside
    }

    fn lex_variable(&mut self) -> State {
        if self.at_terminator() {
            self.emit(Tok::Variable);
            return State::Inside;
        }
        self.lex_field_or_variable(Tok::Variable)
    }

    fn lex_field_or_variable(&mut self, typ: Tok) -> State {
        if self.at_terminator() {
            self.emit(if typ == Tok::Variable { Tok::Variable } else { Tok::Dot });
            return State::Inside;
        }
        let (_, word) = alnum_run(self.rest()).unwrap_or((&[], &[]));
        self.pos += word.len();
        if !self.at_terminator() {
            let (c, _) = decode_rune(self.rest());
            return self.errorf(format!("bad character {}", sharp_u(c)));
        }
        self.emit(typ);
        State::Inside
    }

    fn lex_char(&mut self) -> State {
        loop {
            match self.next_rune() {
                Some('\\') => match self.next_rune() {
                    Some(c) if c != '\n' => {}
                    _ => return self.errorf("unterminated character constant".into()),
                },
                None | Some('\n') => return self.errorf("unterminated character constant".into()),
                Some('\'') => break,
                Some(_) => {}
            }
        }
        self.emit(Tok::CharConstant);
        State::Inside
    }

    fn lex_number(&mut self) -> State {
        let (rest, ok) = scan_number(self.rest());
        self.pos = self.src.len() - rest.len();
        if !ok {
            let v = &self.src[self.start..self.pos];
            return self.errorf(format!("bad number syntax: {}", hecd_gostd::strconv::quote(v)));
        }
        if matches!(self.rest().first(), Some(b'+' | b'-')) {
            let (rest, ok) = scan_number(self.rest());
            self.pos = self.src.len() - rest.len();
            if !ok || self.src[self.pos - 1] != b'i' {
                let v = &self.src[self.start..self.pos];
                return self
                    .errorf(format!("bad number syntax: {}", hecd_gostd::strconv::quote(v)));
            }
            self.emit(Tok::Complex);
        } else {
            self.emit(Tok::Number);
        }
        State::Inside
    }

    fn lex_quote(&mut self) -> State {
        loop {
            match self.next_rune() {
                Some('\\') => match self.next_rune() {
                    Some(c) if c != '\n' => {}
                    _ => return self.errorf("unterminated quoted string".into()),
                },
                None | Some('\n') => return self.errorf("unterminated quoted string".into()),
                Some('"') => break,
                Some(_) => {}
            }
        }
        self.emit(Tok::String);
        State::Inside
    }

    fn lex_raw_quote(&mut self) -> State {
        let r: LResult<'_, &[u8]> = take_while(|b| b != b'`').parse(self.rest());
        let n = r.map(|(_, s)| s.len()).unwrap_or(0);
        self.pos += n;
        if self.pos >= self.src.len() {
            return self.errorf("unterminated raw quoted string".into());
        }
        self.pos += 1;
        self.emit(Tok::RawString);
        State::Inside
    }
}

/// Go's `%#U`: `U+002D '-'`.
pub(crate) fn sharp_u(c: char) -> String {
    if hecd_gostd::strconv::is_print(c) {
        format!("U+{:04X} '{}'", c as u32, c)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..].iter().position(|&b| b == first) {
            None => return None,
            Some(j) => {
                i += j;
                if i + needle.len() <= hay.len() && &hay[i..i + needle.len()] == needle {
                    return Some(i);
                }
                i += 1;
            }
        }
    }
    None
}

fn trim_right_space(s: &[u8]) -> &[u8] {
    let mut e = s.len();
    while e > 0 && is_space(s[e - 1]) {
        e -= 1;
    }
    &s[..e]
}

fn trim_left_space(s: &[u8]) -> &[u8] {
    let r: LResult<'_, &[u8]> = take_while(is_space).parse(s);
    r.map(|(rest, _)| rest).unwrap_or(s)
}

#[cfg(test)]
mod tests;
