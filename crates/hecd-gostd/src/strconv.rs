//! Go's `strconv`: float formatting (`FormatFloat`), quoting (`Quote`, `QuoteToASCII`,
//! `QuoteRune`, `Unquote`, `UnquoteChar`), `IsPrint`, `ParseBool` and `Atoi`.

mod print_table;

use crate::utf8::decode_rune;

/// Go's `unicode.IsPrint`: graphic characters plus ASCII space.
pub fn is_print(c: char) -> bool {
    let u = c as u32;
    if u < 0x80 {
        return (0x20..0x7f).contains(&u);
    }
    let t = print_table::NOT_PRINT;
    let i = t.partition_point(|&(_, last)| last < u);
    !(i < t.len() && t[i].0 <= u)
}

/// Appends `c` as it appears inside a Go quoted literal delimited by `quote`.
fn push_escaped_rune(out: &mut String, c: char, quote: char, ascii_only: bool) {
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if ascii_only {
        if (c as u32) < 0x80 && is_print(c) {
            out.push(c);
            return;
        }
    } else if is_print(c) {
        out.push(c);
        return;
    }
    match c {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0b' => out.push_str("\\v"),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => {
            out.push_str(&format!("\\x{:02x}", c as u32));
        }
        c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push_str(&format!("\\U{:08x}", c as u32)),
    }
}

/// Go's `strconv.Quote` (or `QuoteToASCII` when `ascii_only`) over bytes.
pub fn quote_with(b: &[u8], quote: char, ascii_only: bool) -> String {
    let mut out = String::with_capacity(b.len() + 2);
    out.push(quote);
    let mut i = 0;
    while i < b.len() {
        let (c, w) = decode_rune(&b[i..]);
        if c == '\u{FFFD}' && w == 1 {
            out.push_str(&format!("\\x{:02x}", b[i]));
            i += 1;
            continue;
        }
        push_escaped_rune(&mut out, c, quote, ascii_only);
        i += w;
    }
    out.push(quote);
    out
}

/// Go's `strconv.Quote`.
pub fn quote(b: &[u8]) -> String {
    quote_with(b, '"', false)
}

/// Go's `strconv.QuoteRune` (`QuoteRuneToASCII` when `ascii_only`).
pub fn quote_rune(r: i64, ascii_only: bool) -> String {
    let c = u32::try_from(r).ok().and_then(char::from_u32).unwrap_or('\u{FFFD}');
    let mut out = String::from("'");
    push_escaped_rune(&mut out, c, '\'', ascii_only);
    out.push('\'');
    out
}

/// Go's `strconv.UnquoteChar`: one (possibly escaped) character from `s`,
/// inside a literal delimited by `quote`. Returns the value (a rune, or a
/// byte for `\x`/octal escapes flagged by `true`), and the rest.
pub fn unquote_char(s: &[u8], quote: u8) -> Option<(u32, bool, &[u8])> {
    let c = *s.first()?;
    if c == quote && (quote == b'\'' || quote == b'"') {
        return None;
    }
    if c >= 0x80 {
        let (r, w) = decode_rune(s);
        return Some((r as u32, false, &s[w..]));
    }
    if c != b'\\' {
        return Some((c.into(), false, &s[1..]));
    }
    let c2 = *s.get(1)?;
    let rest = &s[2..];
    let simple = match c2 {
        b'a' => Some(7),
        b'b' => Some(8),
        b'f' => Some(12),
        b'n' => Some(10),
        b'r' => Some(13),
        b't' => Some(9),
        b'v' => Some(11),
        b'\\' => Some(u32::from(b'\\')),
        b'\'' | b'"' => {
            if c2 != quote {
                return None;
            }
            Some(u32::from(c2))
        }
        _ => None,
    };
    if let Some(v) = simple {
        return Some((v, false, rest));
    }
    match c2 {
        b'x' | b'u' | b'U' => {
            let n = match c2 {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            if rest.len() < n {
                return None;
            }
            let mut v: u32 = 0;
            for &d in &rest[..n] {
                v = v.checked_mul(16)? + (d as char).to_digit(16)?;
            }
            if c2 == b'x' {
                return Some((v, true, &rest[n..]));
            }
            char::from_u32(v)?;
            Some((v, false, &rest[n..]))
        }
        b'0'..=b'7' => {
            if rest.len() < 2 {
                return None;
            }
            let mut v = u32::from(c2 - b'0');
            for &d in &rest[..2] {
                if !(b'0'..=b'7').contains(&d) {
                    return None;
                }
                v = v * 8 + u32::from(d - b'0');
            }
            if v > 255 {
                return None;
            }
            Some((v, true, &rest[2..]))
        }
        _ => None,
    }
}

fn push_rune(out: &mut Vec<u8>, v: u32, is_byte: bool) {
    if is_byte {
        out.push(v as u8);
    } else {
        let c = char::from_u32(v).unwrap_or('\u{FFFD}');
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
}

/// Go's `strconv.Unquote` for `"..."` and `` `...` `` literals (the
/// template lexer never hands it anything else). `None` = invalid syntax.
pub fn unquote(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() < 2 {
        return None;
    }
    let q = s[0];
    if q != s[s.len() - 1] {
        return None;
    }
    let body = &s[1..s.len() - 1];
    match q {
        b'`' => {
            if body.contains(&b'`') {
                return None;
            }
            Some(body.iter().copied().filter(|&b| b != b'\r').collect())
        }
        b'"' => {
            if body.contains(&b'\n') {
                return None;
            }
            let mut out = Vec::with_capacity(body.len());
            let mut rest = body;
            while !rest.is_empty() {
                let (v, is_byte, r) = unquote_char(rest, b'"')?;
                push_rune(&mut out, v, is_byte);
                rest = r;
            }
            Some(out)
        }
        _ => None,
    }
}

/// Why a number did not parse (Go's `strconv.ErrSyntax`, `strconv.ErrRange`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumErrorKind {
    /// `invalid syntax`.
    Syntax,
    /// `value out of range`.
    Range,
}

/// A failed conversion; prints as Go's `*strconv.NumError`
/// (`strconv.Atoi: parsing "x": invalid syntax`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("strconv.{func}: parsing {}: {}", quote(input.as_bytes()), match kind {
    NumErrorKind::Syntax => "invalid syntax",
    NumErrorKind::Range => "value out of range",
})]
pub struct NumError {
    /// The Go function name (`Atoi`, `ParseBool`).
    pub func: &'static str,
    /// The rejected text.
    pub input: String,
    /// What was wrong with it.
    pub kind: NumErrorKind,
}

impl NumError {
    fn new(func: &'static str, input: &str, kind: NumErrorKind) -> Self {
        NumError { func, input: input.to_owned(), kind }
    }
}

/// Go's `strconv.ParseBool`.
///
/// # Errors
///
/// a [`NumError`] with [`NumErrorKind::Syntax`] for anything but `1 t T TRUE true True 0 f F FALSE false False`.
pub fn parse_bool(s: &str) -> Result<bool, NumError> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(NumError::new("ParseBool", s, NumErrorKind::Syntax)),
    }
}

/// Go's `strconv.Atoi` on a 64-bit platform: decimal digits with an optional sign.
///
/// # Errors
///
/// a [`NumError`] with [`NumErrorKind::Syntax`] for a malformed number, [`NumErrorKind::Range`] when it
/// overflows `int64` (an overflow seen before a bad character wins, as in Go).
pub fn atoi(s: &str) -> Result<i64, NumError> {
    let syntax = || NumError::new("Atoi", s, NumErrorKind::Syntax);
    let range = || NumError::new("Atoi", s, NumErrorKind::Range);
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return Err(syntax());
    }
    let mut n: u64 = 0;
    let mut overflow = false;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            return Err(syntax());
        }
        match n.checked_mul(10).and_then(|m| m.checked_add(u64::from(b - b'0'))) {
            Some(m) => n = m,
            None => {
                overflow = true;
                break;
            }
        }
    }
    let limit = 1u64 << 63;
    if overflow || (!negative && n >= limit) || (negative && n > limit) {
        return Err(range());
    }
    Ok(if negative { 0i64.wrapping_sub_unsigned(n) } else { n as i64 })
}

/// Shortest decimal digits and exponent of a finite, non-zero `f`:
/// value = 0.DIGITS × 10^dp.
pub fn shortest_digits(f: f64) -> (Vec<u8>, i32) {
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    (digits, exp + 1)
}

/// Digits rounded to `prec` significant digits (`prec` ≥ 1).
pub fn precise_digits(f: f64, prec: usize) -> (Vec<u8>, i32) {
    let s = format!("{:.*e}", prec.saturating_sub(1), f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    (digits, exp + 1)
}

fn push_exp(out: &mut String, exp: i32, ch: char) {
    out.push(ch);
    if exp < 0 {
        out.push('-');
    } else {
        out.push('+');
    }
    let e = exp.unsigned_abs();
    if e < 10 {
        out.push('0');
    }
    out.push_str(&e.to_string());
}

/// `%e` layout of digits (d.ddde±XX) with `prec` fraction digits (pads zeros).
pub fn fmt_e(out: &mut String, digits: &[u8], dp: i32, prec: usize, ch: char) {
    out.push(if digits.is_empty() { '0' } else { digits[0] as char });
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(digits.get(i).map_or('0', |&d| d as char));
        }
    }
    let exp = if digits.is_empty() || digits.iter().all(|&d| d == b'0') { 0 } else { dp - 1 };
    push_exp(out, exp, ch);
}

/// `%f` layout of digits with `prec` fraction digits.
pub fn fmt_f(out: &mut String, digits: &[u8], dp: i32, prec: usize) {
    if dp > 0 {
        for i in 0..dp as usize {
            out.push(digits.get(i).map_or('0', |&d| d as char));
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 0..prec as i32 {
            let j = dp + i;
            let c = if j < 0 { '0' } else { digits.get(j as usize).map_or('0', |&d| d as char) };
            out.push(c);
        }
    }
}

/// Go's `strconv.FormatFloat(f, fmt, prec, 64)` for fmt in `eEfgG`
/// (`prec` < 0 = shortest).
pub fn format_float(f: f64, fmtc: char, prec: i32, bits32: bool) -> String {
    let mut out = String::new();
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    if f.is_sign_negative() {
        out.push('-');
    }
    let shortest = prec < 0;
    let (mut digits, mut dp) = if f == 0.0 {
        (Vec::new(), 0)
    } else if shortest {
        if bits32 {
            let s = format!("{:e}", (f as f32).abs());
            let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
            let exp: i32 = exp.parse().unwrap_or(0);
            (mant.bytes().filter(u8::is_ascii_digit).collect(), exp + 1)
        } else {
            shortest_digits(f)
        }
    } else {
        match fmtc {
            'e' | 'E' => precise_digits(f, prec as usize + 1),
            'f' => {
                // Digits up to `prec` after the decimal point.
                let s = format!("{:.*}", prec as usize, f.abs());
                let (ip, fp) = s.split_once('.').unwrap_or((&s, ""));
                let mut d: Vec<u8> = ip.bytes().chain(fp.bytes()).collect();
                let mut dp = ip.len() as i32;
                while d.len() > 1 && d[0] == b'0' {
                    d.remove(0);
                    dp -= 1;
                }
                if d == b"0" {
                    d.clear();
                    dp = 0;
                }
                (d, dp)
            }
            _ => precise_digits(f, if prec == 0 { 1 } else { prec as usize }),
        }
    };
    if shortest && f == 0.0 {
        digits.clear();
        dp = 0;
    }
    let nd = digits.len() as i32;
    match fmtc {
        'e' | 'E' => {
            let p = if shortest { (nd - 1).max(0) as usize } else { prec as usize };
            fmt_e(&mut out, &digits, dp, p, fmtc);
        }
        'f' => {
            let p = if shortest { (nd - dp).max(0) as usize } else { prec as usize };
            fmt_f(&mut out, &digits, dp, p);
        }
        _ => {
            // Trailing zeros never count as digits (Go's decimal trims them).
            while digits.last() == Some(&b'0') {
                digits.pop();
            }
            let nd = digits.len() as i32;
            let mut p = if shortest {
                nd
            } else if prec == 0 {
                1
            } else {
                prec
            };
            let mut eprec = p;
            if eprec > nd && nd >= dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = dp - 1;
            let ch = if fmtc == 'G' { 'E' } else { 'e' };
            if exp < -4 || exp >= eprec {
                if p > nd {
                    p = nd;
                }
                fmt_e(&mut out, &digits, dp, (p - 1).max(0) as usize, ch);
            } else {
                if p > dp {
                    p = nd;
                }
                fmt_f(&mut out, &digits, dp, (p - dp).max(0) as usize);
            }
        }
    }
    out
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`.
pub fn format_float_g(f: f64) -> String {
    format_float(f, 'g', -1, false)
}

#[cfg(test)]
mod tests;
