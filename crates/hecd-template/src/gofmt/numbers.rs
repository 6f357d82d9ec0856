//! Number formatting for the fmt printer: bools, integers (all bases,
//! `%c %q %U`), floats (`%e %f %g %x %b`, `#` forms) and complex numbers.

use super::Printer;
use crate::value::Value;
use hecd_gostd::strconv::{format_float, is_print, quote_rune};

impl Printer<'_> {
    pub(super) fn fmt_bool(&mut self, b: bool, verb: char, v: &Value) {
        match verb {
            't' | 'v' => self.pad(if b { b"true" } else { b"false" }),
            _ => self.bad_verb_arg(v, verb),
        }
    }

    pub(super) fn fmt_integer(&mut self, u: u64, signed: bool, verb: char, v: &Value) {
        match verb {
            'v' => {
                if self.f.sharp_v && !signed {
                    self.fmt_0x64(u, true);
                } else {
                    self.fmt_int(u, 10, signed, verb, false);
                }
            }
            'd' => self.fmt_int(u, 10, signed, verb, false),
            'b' => self.fmt_int(u, 2, signed, verb, false),
            'o' | 'O' => self.fmt_int(u, 8, signed, verb, false),
            'x' => self.fmt_int(u, 16, signed, verb, false),
            'X' => self.fmt_int(u, 16, signed, verb, true),
            'c' => {
                let c = char_of(u, signed);
                let mut b = [0u8; 4];
                let s = c.encode_utf8(&mut b).as_bytes().to_vec();
                self.pad(&s);
            }
            'q' => {
                let r = if signed { u as i64 } else { i64::try_from(u).unwrap_or(-1) };
                let s = quote_rune(r, self.f.plus);
                self.pad(s.as_bytes());
            }
            'U' => self.fmt_unicode(u),
            _ => self.bad_verb_arg(v, verb),
        }
    }

    fn fmt_0x64(&mut self, u: u64, leading: bool) {
        let sharp = self.f.sharp;
        self.f.sharp = leading;
        self.fmt_int(u, 16, false, 'v', false);
        self.f.sharp = sharp;
    }

    fn fmt_unicode(&mut self, u: u64) {
        let width = self.f.prec.map_or(4, |p| p.max(4));
        let mut s = format!("U+{u:0width$X}");
        if self.f.sharp {
            if let Some(c) = char::from_u32(u as u32).filter(|&c| u <= 0x10FFFF && is_print(c)) {
                s.push_str(&format!(" '{c}'"));
            }
        }
        let z = self.f.zero;
        self.f.zero = false;
        self.pad(s.as_bytes());
        self.f.zero = z;
    }

    fn fmt_int(&mut self, u: u64, base: u64, signed: bool, verb: char, upper: bool) {
        let negative = signed && (u as i64) < 0;
        let mut u = if negative { (u as i64).unsigned_abs() } else { u };
        let mut prec = 0usize;
        if let Some(p) = self.f.prec {
            prec = p;
            if p == 0 && u == 0 {
                let z = self.f.zero;
                self.f.zero = false;
                let w = self.f.wid.unwrap_or(0);
                self.write_padding(w);
                self.f.zero = z;
                return;
            }
        } else if self.f.zero && self.f.wid.is_some() {
            prec = self.f.wid.unwrap_or(0);
            if negative || self.f.plus || self.f.space {
                prec = prec.saturating_sub(1);
            }
        }
        let digits: &[u8] = if upper { b"0123456789ABCDEFX" } else { b"0123456789abcdefx" };
        let mut buf: Vec<u8> = Vec::with_capacity(24);
        loop {
            buf.push(digits[(u % base) as usize]);
            u /= base;
            if u == 0 {
                break;
            }
        }
        while buf.len() < prec {
            buf.push(b'0');
        }
        if self.f.sharp {
            match base {
                2 => buf.extend_from_slice(b"b0"),
                8 if buf.last() != Some(&b'0') => buf.push(b'0'),
                16 => {
                    buf.push(digits[16]);
                    buf.push(b'0');
                }
                _ => {}
            }
        }
        if verb == 'O' {
            buf.extend_from_slice(b"o0");
        }
        if negative {
            buf.push(b'-');
        } else if self.f.plus {
            buf.push(b'+');
        } else if self.f.space {
            buf.push(b' ');
        }
        buf.reverse();
        let z = self.f.zero;
        self.f.zero = false;
        self.pad(&buf);
        self.f.zero = z;
    }

    pub(super) fn fmt_float(&mut self, f: f64, bits32: bool, verb: char, v: &Value) {
        let (fc, prec) = match verb {
            'v' => ('g', -1),
            'b' | 'x' | 'X' => (verb, -1),
            'g' | 'G' => (verb, -1),
            'f' | 'F' => ('f', 6),
            'e' | 'E' => (verb, 6),
            _ => return self.bad_verb_arg(v, verb),
        };
        self.fmt_float_inner(f, bits32, fc, prec);
    }

    fn fmt_float_inner(&mut self, f: f64, bits32: bool, fc: char, prec: i32) {
        let prec = self.f.prec.map_or(prec, |p| p as i32);
        let s = if matches!(fc, 'b' | 'x' | 'X') {
            float_bits_format(f, fc, prec)
        } else {
            format_float(f, fc, prec, bits32)
        };
        let mut num: Vec<u8> = Vec::with_capacity(s.len() + 1);
        if s.starts_with('-') || s.starts_with('+') {
            num.extend_from_slice(s.as_bytes());
        } else {
            num.push(b'+');
            num.extend_from_slice(s.as_bytes());
        }
        if self.f.space && num[0] == b'+' && !self.f.plus {
            num[0] = b' ';
        }
        if num[1] == b'I' || num[1] == b'N' {
            let z = self.f.zero;
            self.f.zero = false;
            if num[1] == b'N' && !self.f.space && !self.f.plus {
                num.remove(0);
            }
            self.pad(&num);
            self.f.zero = z;
            return;
        }
        if self.f.sharp && fc != 'b' {
            sharp_float(&mut num, fc, prec);
        }
        if self.f.plus || num[0] != b'+' {
            if self.f.zero && self.f.wid.is_some_and(|w| w > num.len()) {
                let w = self.f.wid.unwrap_or(0);
                self.buf.push(num[0]);
                self.write_padding(w - num.len());
                self.buf.extend_from_slice(&num[1..]);
                return;
            }
            self.pad(&num);
            return;
        }
        self.pad(&num[1..]);
    }

    pub(super) fn fmt_complex(&mut self, re: f64, im: f64, bits32: bool, verb: char, v: &Value) {
        let (fc, prec) = match verb {
            'v' => ('g', -1),
            'b' | 'x' | 'X' => (verb, -1),
            'g' | 'G' => (verb, -1),
            'f' | 'F' => ('f', 6),
            'e' | 'E' => (verb, 6),
            _ => return self.bad_verb_arg(v, verb),
        };
        let old = self.f;
        self.buf.push(b'(');
        self.fmt_float_inner(re, bits32, fc, prec);
        self.f.plus = true;
        self.fmt_float_inner(im, bits32, fc, prec);
        self.buf.extend_from_slice(b"i)");
        self.f = old;
    }
}

fn char_of(u: u64, signed: bool) -> char {
    let v = if signed && (u as i64) < 0 { 0xFFFD } else { u };
    u32::try_from(v).ok().and_then(char::from_u32).unwrap_or('\u{FFFD}')
}

/// The `#` flag on floats: always keep a decimal point, and for `%g`/`%x`
/// (and `%v` never reaches here) pad with zeros up to the precision (6 when
/// unset), counting significant digits after the first non-zero one.
fn sharp_float(num: &mut Vec<u8>, fc: char, prec: i32) {
    // Go pads for %g, %G and lowercase %x only.
    let mut digits: i32 = match fc {
        'g' | 'G' | 'x' => {
            if prec < 0 {
                6
            } else {
                prec
            }
        }
        _ => 0,
    };
    let hex = matches!(fc, 'x' | 'X');
    let mut tail: Vec<u8> = Vec::new();
    let mut has_point = false;
    let mut saw_nonzero = false;
    let mut cut = num.len();
    for (i, &c) in num.iter().enumerate().skip(1) {
        match c {
            b'.' => has_point = true,
            b'p' | b'P' => {
                cut = i;
                break;
            }
            b'e' | b'E' if !hex => {
                cut = i;
                break;
            }
            _ => {
                if c != b'0' {
                    saw_nonzero = true;
                }
                if saw_nonzero {
                    digits -= 1;
                }
            }
        }
    }
    tail.extend_from_slice(&num[cut..]);
    num.truncate(cut);
    if !has_point {
        if num.len() == 2 && num[1] == b'0' {
            digits -= 1;
        }
        num.push(b'.');
    }
    while digits > 0 {
        num.push(b'0');
        digits -= 1;
    }
    num.extend_from_slice(&tail);
}

/// `strconv.FormatFloat(f, 'b'|'x'|'X', prec, 64)` (`prec` < 0 = shortest).
pub(super) fn float_bits_format(f: f64, verb: char, prec: i32) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    let bits = f.to_bits();
    let neg = bits >> 63 == 1;
    let mut exp = ((bits >> 52) & 0x7ff) as i64;
    let mut mant = bits & ((1u64 << 52) - 1);
    if exp == 0 {
        exp = 1;
    } else {
        mant |= 1u64 << 52;
    }
    exp -= 1023;
    let sign = if neg { "-" } else { "" };
    if verb == 'b' {
        let e = exp - 52;
        return format!("{sign}{mant}p{}{}", if e >= 0 { "+" } else { "-" }, e.abs());
    }
    if mant == 0 {
        exp = 0;
    }
    // Leading 1 (if any) at bit 60.
    mant <<= 8;
    while mant != 0 && mant & (1u64 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if (0..15).contains(&prec) {
        let shift = (prec * 4) as u32;
        let extra = (mant << shift) & ((1u64 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1u64 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1u64 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let digits: &[u8] = if verb == 'X' { b"0123456789ABCDEF" } else { b"0123456789abcdef" };
    let mut s = String::from(sign);
    s.push('0');
    s.push(verb);
    s.push(if (mant >> 60) & 1 == 1 { '1' } else { '0' });
    mant <<= 4;
    if prec < 0 && mant != 0 {
        s.push('.');
        while mant != 0 {
            s.push(digits[((mant >> 60) & 15) as usize] as char);
            mant <<= 4;
        }
    } else if prec > 0 {
        s.push('.');
        for _ in 0..prec {
            s.push(digits[((mant >> 60) & 15) as usize] as char);
            mant <<= 4;
        }
    }
    s.push(if verb == 'X' { 'P' } else { 'p' });
    s.push(if exp < 0 { '-' } else { '+' });
    s.push_str(&format!("{:02}", exp.abs()));
    s
}
