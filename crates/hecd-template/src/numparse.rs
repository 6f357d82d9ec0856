//! Go number-literal parsing as text/template does it (`strconv.ParseInt`,
//! `ParseUint`, `ParseFloat` with base 0, then the `NumberNode` rules).

use crate::ast::Number;

fn underscore_ok(s: &[u8]) -> bool {
    let mut saw = b'^';
    let mut s = s;
    if let Some(b'+' | b'-') = s.first() {
        s = &s[1..];
    }
    let mut i = 0;
    let mut hex = false;
    if s.len() >= 2 && s[0] == b'0' && matches!(s[1] | 0x20, b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = s[1] | 0x20 == b'x';
    }
    while i < s.len() {
        let c = s[i];
        if c.is_ascii_digit() || hex && (b'a'..=b'f').contains(&(c | 0x20)) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// `strconv.ParseUint(s, 0, 64)`.
pub(crate) fn parse_uint(s0: &[u8]) -> Option<u64> {
    if s0.is_empty() {
        return None;
    }
    let mut s = s0;
    let mut base = 10u32;
    if s[0] == b'0' {
        if s.len() >= 3 && matches!(s[1] | 0x20, b'b' | b'o' | b'x') {
            base = match s[1] | 0x20 {
                b'b' => 2,
                b'o' => 8,
                _ => 16,
            };
            s = &s[2..];
        } else {
            base = 8;
            s = &s[1..];
        }
    }
    let mut n: u64 = 0;
    let mut underscores = false;
    for &c in s {
        let d = match c {
            b'_' => {
                underscores = true;
                continue;
            }
            b'0'..=b'9' => u32::from(c - b'0'),
            c if c.is_ascii_alphabetic() => u32::from((c | 0x20) - b'a') + 10,
            _ => return None,
        };
        if d >= base {
            return None;
        }
        n = n.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
    }
    if underscores && !underscore_ok(s0) {
        return None;
    }
    Some(n)
}

/// `strconv.ParseInt(s, 0, 64)`.
pub(crate) fn parse_int(s: &[u8]) -> Option<i64> {
    let (neg, body) = match s.first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let u = parse_uint(body)?;
    if neg {
        if u > 1u64 << 63 {
            return None;
        }
        Some((u as i64).wrapping_neg())
    } else {
        i64::try_from(u).ok()
    }
}

/// `strconv.ParseFloat(s, 64)` restricted to what the lexer can produce.
pub(crate) fn parse_float(s: &[u8]) -> Option<f64> {
    let mut i = 0;
    let mut neg = false;
    match s.first() {
        Some(b'+') => i += 1,
        Some(b'-') => {
            neg = true;
            i += 1;
        }
        _ => {}
    }
    let hex = i + 2 < s.len() && s[i] == b'0' && s[i + 1] | 0x20 == b'x';
    let mut underscores = false;
    let mut sawdot = false;
    let mut sawdigits = false;
    let mut mant = String::new();
    let mut hex_mant: u64 = 0;
    let mut hex_nd = 0i32;
    let mut hex_dp: Option<i32> = None;
    let mut hex_trunc_shift = 0i32;
    if hex {
        i += 2;
    }
    while i < s.len() {
        let c = s[i];
        match c {
            b'_' => underscores = true,
            b'.' => {
                if sawdot {
                    break;
                }
                sawdot = true;
                if hex {
                    hex_dp = Some(hex_nd);
                } else {
                    mant.push('.');
                }
            }
            b'0'..=b'9' => {
                sawdigits = true;
                if hex {
                    push_hex(&mut hex_mant, &mut hex_nd, &mut hex_trunc_shift, u64::from(c - b'0'));
                } else {
                    mant.push(c as char);
                }
            }
            c if hex && (b'a'..=b'f').contains(&(c | 0x20)) => {
                sawdigits = true;
                push_hex(
                    &mut hex_mant,
                    &mut hex_nd,
                    &mut hex_trunc_shift,
                    u64::from((c | 0x20) - b'a' + 10),
                );
            }
            _ => break,
        }
        i += 1;
    }
    if !sawdigits {
        return None;
    }
    let exp_char = if hex { b'p' } else { b'e' };
    let mut exp: i64 = 0;
    if i < s.len() && s[i] | 0x20 == exp_char {
        i += 1;
        let mut esign = 1;
        match s.get(i) {
            Some(b'+') => i += 1,
            Some(b'-') => {
                esign = -1;
                i += 1;
            }
            _ => {}
        }
        if !s.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        while i < s.len() && (s[i].is_ascii_digit() || s[i] == b'_') {
            if s[i] == b'_' {
                underscores = true;
            } else if exp < 100_000 {
                exp = exp * 10 + i64::from(s[i] - b'0');
            }
            i += 1;
        }
        exp *= esign;
    } else if hex {
        return None;
    }
    if i != s.len() {
        return None;
    }
    if underscores && !underscore_ok(s) {
        return None;
    }
    let v = if hex {
        let frac_digits = hex_dp.map_or(0, |dp| hex_nd - dp);
        let e2 = exp - i64::from(frac_digits) * 4 + i64::from(hex_trunc_shift);
        ldexp(hex_mant as f64, e2.clamp(-3000, 3000))
    } else {
        let text = format!("{mant}e{exp}");
        text.parse::<f64>().ok()?
    };
    if v.is_infinite() {
        return None;
    }
    Some(if neg { -v } else { v })
}

/// `m × 2^e` without intermediate overflow/underflow of the power.
fn ldexp(mut m: f64, mut e: i64) -> f64 {
    while e > 1000 {
        m *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 {
        m *= 2f64.powi(-1000);
        e += 1000;
    }
    m * 2f64.powi(e as i32)
}

fn push_hex(m: &mut u64, nd: &mut i32, trunc_shift: &mut i32, d: u64) {
    *nd += 1;
    if *m >> 60 == 0 {
        *m = *m * 16 + d;
    } else {
        *trunc_shift += 4;
    }
}

/// Builds a [`Number`] from a literal token (Go's `newNumber`), or Go's
/// error message.
pub(crate) fn new_number(
    pos: u32,
    text: &[u8],
    is_char: bool,
    is_complex: bool,
) -> Result<Number, String> {
    let text_s: std::sync::Arc<str> = String::from_utf8_lossy(text).into();
    let mut n = Number {
        pos,
        text: text_s,
        is_int: false,
        is_uint: false,
        is_float: false,
        is_complex: false,
        int: 0,
        uint: 0,
        float: 0.0,
        complex: (0.0, 0.0),
    };
    if is_char {
        let body = &text[1..];
        let Some((r, _, tail)) = hecd_gostd::strconv::unquote_char(body, text[0]) else {
            return Err("invalid syntax".into());
        };
        if tail != b"'" {
            return Err(format!("malformed character constant: {}", String::from_utf8_lossy(text)));
        }
        n.int = i64::from(r);
        n.is_int = true;
        n.uint = u64::from(r);
        n.is_uint = true;
        n.float = f64::from(r);
        n.is_float = true;
        return Ok(n);
    }
    if is_complex {
        let Some((re, im)) = parse_complex(text) else {
            return Err("expected integer".into());
        };
        n.is_complex = true;
        n.complex = (re, im);
        simplify_complex(&mut n);
        return Ok(n);
    }
    if text.last() == Some(&b'i') {
        if let Some(f) = parse_float(&text[..text.len() - 1]) {
            n.is_complex = true;
            n.complex = (0.0, f);
            simplify_complex(&mut n);
            return Ok(n);
        }
    }
    let u = parse_uint(text);
    if let Some(u) = u {
        n.is_uint = true;
        n.uint = u;
    }
    if let Some(i) = parse_int(text) {
        n.is_int = true;
        n.int = i;
        if i == 0 {
            n.is_uint = true;
            n.uint = u.unwrap_or(0);
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float = n.int as f64;
    } else if n.is_uint {
        n.is_float = true;
        n.float = n.uint as f64;
    } else if let Some(f) = parse_float(text) {
        if !text.iter().any(|b| b".eEpP".contains(b)) {
            return Err(format!("integer overflow: {}", hecd_gostd::strconv::quote(text)));
        }
        n.is_float = true;
        n.float = f;
        if (f as i64) as f64 == f && f.fract() == 0.0 && f.abs() < 9.3e18 {
            n.is_int = true;
            n.int = f as i64;
        }
        if f >= 0.0 && (f as u64) as f64 == f && f.fract() == 0.0 && f < 1.85e19 {
            n.is_uint = true;
            n.uint = f as u64;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!("illegal number syntax: {}", hecd_gostd::strconv::quote(text)));
    }
    Ok(n)
}

fn simplify_complex(n: &mut Number) {
    n.is_float = n.complex.1 == 0.0;
    if n.is_float {
        let f = n.complex.0;
        n.float = f;
        n.is_int = f.fract() == 0.0 && f.abs() < 9.3e18;
        if n.is_int {
            n.int = f as i64;
        }
        n.is_uint = f >= 0.0 && f.fract() == 0.0 && f < 1.85e19;
        if n.is_uint {
            n.uint = f as u64;
        }
    }
}

fn parse_complex(text: &[u8]) -> Option<(f64, f64)> {
    // REAL[+-]IMAGi; the split is the last sign not part of an exponent.
    let body = text.strip_suffix(b"i")?;
    let mut split = None;
    for i in (1..body.len()).rev() {
        if matches!(body[i], b'+' | b'-') && !matches!(body[i - 1] | 0x20, b'e' | b'p') {
            split = Some(i);
            break;
        }
    }
    let i = split?;
    let re = parse_float(&body[..i]).or_else(|| parse_int(&body[..i]).map(|v| v as f64))?;
    let im = parse_float(&body[i..]).or_else(|| parse_int(&body[i..]).map(|v| v as f64))?;
    Some((re, im))
}

#[cfg(test)]
mod tests;
