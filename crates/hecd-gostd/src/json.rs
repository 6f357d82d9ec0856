//! A JSON reader that accepts, rejects and reports exactly like Go's `encoding/json`.
//!
//! confd's `json` and `jsonArray` (and `hecd-confd render`'s inputs) surface Go's error texts to the template author
//! (`unexpected end of JSON input`, `invalid character 'x' after top-level value`,
//! `json: cannot unmarshal array into Go value of type map[string]interface {}`), so the
//! syntax check mirrors Go's scanner: the first offending byte decides the message.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

/// Go's limit on nesting (`maxNestingDepth`).
const MAX_DEPTH: usize = 10_000;

/// A parsed JSON document. Numbers keep their source text so callers choose int or float.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as written.
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object; a later duplicate key replaces an earlier one, as in Go.
    Object(BTreeMap<String, Json>),
}

impl Json {
    /// The word Go's `UnmarshalTypeError` uses for this kind of value.
    pub fn kind_word(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }
}

/// A JSON failure, printing Go's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// The input ended inside a value (or was empty).
    #[error("unexpected end of JSON input")]
    UnexpectedEnd,
    /// A byte that cannot appear where it does.
    #[error("invalid character {} {context}", quote_byte(*byte))]
    InvalidCharacter {
        /// The offending byte.
        byte: u8,
        /// Go's description of where the scanner was, e.g. `after top-level value`.
        context: &'static str,
    },
    /// A well-formed value of the wrong kind for the destination.
    #[error("json: cannot unmarshal {found} into Go value of type {go_type}")]
    Type {
        /// Go's word for the value (`array`, `number 1e400`, ...).
        found: String,
        /// The Go destination type.
        go_type: &'static str,
    },
}

/// Parses one JSON document (surrounding whitespace allowed, nothing else).
///
/// # Errors
///
/// [`JsonError::UnexpectedEnd`] or [`JsonError::InvalidCharacter`] with Go's wording.
pub fn parse(input: &str) -> Result<Json, JsonError> {
    let mut p = Parser { src: input.as_bytes(), pos: 0, depth: 0 };
    p.skip_space();
    let value = p.value("looking for beginning of value")?;
    p.skip_space();
    match p.peek() {
        None => Ok(value),
        Some(b) => Err(JsonError::InvalidCharacter { byte: b, context: "after top-level value" }),
    }
}

/// Converts a number's source text to `float64` as Go's decoder does for `interface{}`.
///
/// # Errors
///
/// [`JsonError::Type`] (`cannot unmarshal number 1e400 into Go value of type float64`)
/// when the number overflows.
pub fn number_to_f64(raw: &str) -> Result<f64, JsonError> {
    match raw.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(f),
        _ => Err(JsonError::Type { found: format!("number {raw}"), go_type: "float64" }),
    }
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// The next byte, which must exist.
    fn next(&mut self) -> Result<u8, JsonError> {
        let b = self.peek().ok_or(JsonError::UnexpectedEnd)?;
        self.pos += 1;
        Ok(b)
    }

    /// The next byte inside a token; at the end of input Go's scanner sees a space, so a
    /// token cut short reports `invalid character ' ' ...`.
    fn next_in_token(&mut self) -> u8 {
        match self.peek() {
            Some(b) => {
                self.pos += 1;
                b
            }
            None => b' ',
        }
    }

    fn value(&mut self, context: &'static str) -> Result<Json, JsonError> {
        let b = self.peek().ok_or(JsonError::UnexpectedEnd)?;
        match b {
            b'{' | b'[' => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(JsonError::InvalidCharacter {
                        byte: b,
                        context: "exceeded max depth",
                    });
                }
                self.pos += 1;
                let v = if b == b'{' { self.object()? } else { self.array()? };
                self.depth -= 1;
                Ok(v)
            }
            b'"' => {
                self.pos += 1;
                Ok(Json::String(self.string()?))
            }
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.literal("true", Json::Bool(true)),
            b'f' => self.literal("false", Json::Bool(false)),
            b'n' => self.literal("null", Json::Null),
            _ => Err(JsonError::InvalidCharacter { byte: b, context }),
        }
    }

    fn literal(&mut self, word: &'static str, value: Json) -> Result<Json, JsonError> {
        self.pos += 1;
        for (i, want) in word.bytes().enumerate().skip(1) {
            let b = self.next_in_token();
            if b != want {
                return Err(JsonError::InvalidCharacter {
                    byte: b,
                    context: literal_context(word, i),
                });
            }
        }
        Ok(value)
    }

    fn object(&mut self) -> Result<Json, JsonError> {
        let mut map = BTreeMap::new();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(map));
        }
        loop {
            match self.next()? {
                b'"' => {}
                b => {
                    return Err(JsonError::InvalidCharacter {
                        byte: b,
                        context: "looking for beginning of object key string",
                    })
                }
            }
            let key = self.string()?;
            self.skip_space();
            match self.next()? {
                b':' => {}
                b => {
                    return Err(JsonError::InvalidCharacter {
                        byte: b,
                        context: "after object key",
                    })
                }
            }
            self.skip_space();
            let value = self.value("looking for beginning of value")?;
            map.insert(key, value);
            self.skip_space();
            match self.next()? {
                b',' => self.skip_space(),
                b'}' => return Ok(Json::Object(map)),
                b => {
                    return Err(JsonError::InvalidCharacter {
                        byte: b,
                        context: "after object key:value pair",
                    })
                }
            }
        }
    }

    fn array(&mut self) -> Result<Json, JsonError> {
        let mut items = Vec::new();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value("looking for beginning of value")?);
            self.skip_space();
            match self.next()? {
                b',' => self.skip_space(),
                b']' => return Ok(Json::Array(items)),
                b => {
                    return Err(JsonError::InvalidCharacter {
                        byte: b,
                        context: "after array element",
                    })
                }
            }
        }
    }

    /// Reads a string body after its opening quote.
    fn string(&mut self) -> Result<String, JsonError> {
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // The input is a &str and we only stop on ASCII bytes, so this slice is UTF-8.
            out.push_str(&String::from_utf8_lossy(&self.src[start..self.pos]));
            match self.next()? {
                b'"' => return Ok(out),
                b'\\' => self.escape(&mut out)?,
                b => {
                    return Err(JsonError::InvalidCharacter {
                        byte: b,
                        context: "in string literal",
                    })
                }
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), JsonError> {
        let b = self.next_in_token();
        let c = match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                if (0xd800..0xdc00).contains(&first) && self.src[self.pos..].starts_with(b"\\u") {
                    // Look ahead for the low half; a bad pair leaves it to be read on its own.
                    let save = self.pos;
                    self.pos += 2;
                    let second = self.hex4()?;
                    if (0xdc00..0xe000).contains(&second) {
                        let c = 0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00);
                        out.push(char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER));
                        return Ok(());
                    }
                    self.pos = save;
                }
                char::from_u32(first).unwrap_or(char::REPLACEMENT_CHARACTER)
            }
            _ => {
                return Err(JsonError::InvalidCharacter {
                    byte: b,
                    context: "in string escape code",
                })
            }
        };
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0;
        for _ in 0..4 {
            let b = self.next_in_token();
            let d = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => {
                    return Err(JsonError::InvalidCharacter {
                        byte: b,
                        context: "in \\u hexadecimal character escape",
                    })
                }
            };
            v = v * 16 + u32::from(d);
        }
        Ok(v)
    }

    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
            match self.next_in_token() {
                b'0'..=b'9' => self.pos -= 1,
                b => {
                    return Err(JsonError::InvalidCharacter {
                        byte: b,
                        context: "in numeric literal",
                    })
                }
            }
        }
        if self.next()? != b'0' {
            self.digits();
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            match self.next_in_token() {
                b'0'..=b'9' => self.digits(),
                b => {
                    return Err(JsonError::InvalidCharacter {
                        byte: b,
                        context: "after decimal point in numeric literal",
                    })
                }
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            match self.next_in_token() {
                b'0'..=b'9' => self.digits(),
                b => {
                    return Err(JsonError::InvalidCharacter {
                        byte: b,
                        context: "in exponent of numeric literal",
                    })
                }
            }
        }
        let raw = &self.src[start..self.pos];
        Ok(Json::Number(String::from_utf8_lossy(raw).into_owned()))
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }
}

/// Go's context for a bad byte inside `true`/`false`/`null`.
fn literal_context(word: &str, index: usize) -> &'static str {
    match (word, index) {
        ("true", 1) => "in literal true (expecting 'r')",
        ("true", 2) => "in literal true (expecting 'u')",
        ("true", _) => "in literal true (expecting 'e')",
        ("false", 1) => "in literal false (expecting 'a')",
        ("false", 2) => "in literal false (expecting 'l')",
        ("false", 3) => "in literal false (expecting 's')",
        ("false", _) => "in literal false (expecting 'e')",
        ("null", 1) => "in literal null (expecting 'u')",
        (_, _) => "in literal null (expecting 'l')",
    }
}

/// Go's `quoteChar`: a byte shown in single quotes, escaped like `strconv.Quote` of the
/// one-rune string `string(rune(b))`.
pub fn quote_byte(b: u8) -> String {
    match b {
        b'\'' => "'\\''".to_owned(),
        b'"' => "'\"'".to_owned(),
        _ => {
            let quoted = crate::strconv::quote(char::from(b).to_string().as_bytes());
            format!("'{}'", &quoted[1..quoted.len() - 1])
        }
    }
}
