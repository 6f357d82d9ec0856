//! A faithful subset of Go's `fmt`: `Sprint`, `Sprintln`, `Sprintf` verbs
//! (`%v %+v %#v %T %s %q %d %x %X %o %O %b %c %U %e %E %f %F %g %G %t`),
//! flags, width/precision (including `*`), and the `%!verb(type=val)`,
//! `%!verb(MISSING)`, `%!(EXTRA ...)` error forms.

use crate::types::Kind;
use crate::value::Value;
use hecd_gostd::strconv::quote_with;
use hecd_gostd::utf8::{decode_rune, first_runes};

#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
    wid: Option<usize>,
    prec: Option<usize>,
}

/// Go's `pp` printer state over an output buffer.
struct Printer<'o> {
    buf: &'o mut Vec<u8>,
    f: Flags,
    erroring: bool,
}

/// Go's `reflect.Type.String()` of a value (`<nil>` for nil).
pub(crate) fn type_name(v: &Value) -> String {
    match v.go_type() {
        Some(t) => t.name().to_string(),
        None => "<nil>".to_string(),
    }
}

fn is_string_kind(v: &Value) -> bool {
    matches!(v, Value::String(_))
}

/// `fmt.Sprint(args...)`.
pub(crate) fn sprint(out: &mut Vec<u8>, args: &[Value]) {
    let mut p = Printer { buf: out, f: Flags::default(), erroring: false };
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_str = is_string_kind(a);
        if i > 0 && !is_str && !prev_string {
            p.buf.push(b' ');
        }
        p.f = Flags::default();
        p.print_arg(a, 'v');
        prev_string = is_str;
    }
}

/// `fmt.Sprintln(args...)`.
pub(crate) fn sprintln(out: &mut Vec<u8>, args: &[Value]) {
    let mut p = Printer { buf: out, f: Flags::default(), erroring: false };
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            p.buf.push(b' ');
        }
        p.f = Flags::default();
        p.print_arg(a, 'v');
    }
    p.buf.push(b'\n');
}

/// Writes `fmt.Print`-style `%v` of `v`. With `top` set, `Missing` prints
/// `<no value>`; otherwise `<nil>`.
pub(crate) fn print_value(out: &mut Vec<u8>, v: &Value, top: bool) {
    match v {
        Value::Missing if top => out.extend_from_slice(b"<no value>"),
        Value::String(s) => out.extend_from_slice(s.as_bytes()),
        Value::Int(i, _) => {
            let mut b = itoa_buf();
            out.extend_from_slice(fmt_i64(&mut b, *i));
        }
        _ => {
            let mut p = Printer { buf: out, f: Flags::default(), erroring: false };
            p.print_arg(v, 'v');
        }
    }
}

fn itoa_buf() -> [u8; 24] {
    [0u8; 24]
}

fn fmt_i64(buf: &mut [u8; 24], v: i64) -> &[u8] {
    let neg = v < 0;
    let mut u = v.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if neg {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// `fmt.Sprintf(format, args...)`.
pub(crate) fn sprintf(out: &mut Vec<u8>, format: &[u8], args: &[Value]) {
    let mut p = Printer { buf: out, f: Flags::default(), erroring: false };
    p.do_printf(format, args);
}

fn too_large(x: i64) -> bool {
    !(-1_000_000..=1_000_000).contains(&x)
}

/// Go's `parsenum` over `s[start..end]`.
fn parse_num(s: &[u8], start: usize, end: usize) -> (Option<usize>, usize) {
    if start >= end {
        return (None, end);
    }
    let mut n: i64 = 0;
    let mut i = start;
    let mut isnum = false;
    while i < end && s[i].is_ascii_digit() {
        if too_large(n) {
            return (None, end);
        }
        n = n * 10 + i64::from(s[i] - b'0');
        isnum = true;
        i += 1;
    }
    (isnum.then_some(n as usize), i)
}

/// Go's `parseArgNumber`: (index, width consumed, ok).
fn parse_arg_number(format: &[u8]) -> (i64, usize, bool) {
    if format.len() < 3 {
        return (0, 1, false);
    }
    for i in 1..format.len() {
        if format[i] == b']' {
            let (w, newi) = parse_num(format, 1, i);
            return match w {
                Some(w) if newi == i => (w as i64 - 1, i + 1, true),
                _ => (0, i + 1, false),
            };
        }
    }
    (0, 1, false)
}

/// Go's `intFromArg`: (value, ok, next arg index).
fn int_from_arg(args: &[Value], arg_num: usize) -> (i64, bool, usize) {
    let Some(a) = args.get(arg_num) else { return (0, false, arg_num) };
    let (n, ok) = match a {
        Value::Int(v, _) => (*v, true),
        Value::Uint(v, _) if i64::try_from(*v).is_ok() => (*v as i64, true),
        _ => (0, false),
    };
    if too_large(n) {
        return (0, false, arg_num + 1);
    }
    (n, ok, arg_num + 1)
}

impl Printer<'_> {
    fn write_str(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
    }

    fn write_padding(&mut self, n: usize) {
        let b = if self.f.zero { b'0' } else { b' ' };
        self.buf.extend(std::iter::repeat_n(b, n));
    }

    fn pad(&mut self, s: &[u8]) {
        let Some(w) = self.f.wid.filter(|&w| w > 0) else {
            self.buf.extend_from_slice(s);
            return;
        };
        let n = rune_count(s);
        let fill = w.saturating_sub(n);
        if !self.f.minus {
            self.write_padding(fill);
            self.buf.extend_from_slice(s);
        } else {
            self.buf.extend_from_slice(s);
            let z = self.f.zero;
            self.f.zero = false;
            self.write_padding(fill);
            self.f.zero = z;
        }
    }

    /// Go's `argNumber`: an explicit `[n]` index at `format[i..]`.
    fn arg_number(
        &mut self,
        arg_num: usize,
        format: &[u8],
        i: usize,
        nargs: usize,
        good: &mut bool,
        reordered: &mut bool,
    ) -> (usize, usize, bool) {
        if format.len() <= i || format[i] != b'[' {
            return (arg_num, i, false);
        }
        *reordered = true;
        let rest = &format[i..];
        let (index, wid, ok) = parse_arg_number(rest);
        if ok && index >= 0 && (index as usize) < nargs {
            return (index as usize, i + wid, true);
        }
        *good = false;
        (arg_num, i + wid, ok)
    }

    fn do_printf(&mut self, format: &[u8], args: &[Value]) {
        let end = format.len();
        let mut arg_num = 0usize;
        let mut after_index;
        let mut reordered = false;
        let mut i = 0;
        'format_loop: while i < end {
            let mut good = true;
            let lasti = i;
            while i < end && format[i] != b'%' {
                i += 1;
            }
            if i > lasti {
                self.buf.extend_from_slice(&format[lasti..i]);
            }
            if i >= end {
                break;
            }
            i += 1;
            self.f = Flags::default();
            while i < end {
                let c = format[i];
                match c {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = !self.f.minus,
                    b'+' => self.f.plus = true,
                    b'-' => {
                        self.f.minus = true;
                        self.f.zero = false;
                    }
                    b' ' => self.f.space = true,
                    _ => {
                        if c.is_ascii_lowercase() && arg_num < args.len() {
                            if c == b'v' {
                                self.f.sharp_v = self.f.sharp;
                                self.f.sharp = false;
                                self.f.plus_v = self.f.plus;
                                self.f.plus = false;
                            }
                            self.print_arg(&args[arg_num], c as char);
                            arg_num += 1;
                            i += 1;
                            continue 'format_loop;
                        }
                        break;
                    }
                }
                i += 1;
            }
            let r = self.arg_number(arg_num, format, i, args.len(), &mut good, &mut reordered);
            (arg_num, i, after_index) = r;
            // Width.
            if i < end && format[i] == b'*' {
                i += 1;
                let (n, ok, na) = int_from_arg(args, arg_num);
                arg_num = na;
                if !ok {
                    self.write_str("%!(BADWIDTH)");
                } else if n < 0 {
                    self.f.minus = true;
                    self.f.zero = false;
                    self.f.wid = Some(n.unsigned_abs() as usize);
                } else {
                    self.f.wid = Some(n as usize);
                }
                after_index = false;
            } else {
                let (w, j) = parse_num(format, i, end);
                self.f.wid = w;
                i = j;
                if after_index && w.is_some() {
                    good = false;
                }
            }
            // Precision.
            if i + 1 < end && format[i] == b'.' {
                i += 1;
                if after_index {
                    good = false;
                }
                let r = self.arg_number(arg_num, format, i, args.len(), &mut good, &mut reordered);
                (arg_num, i, after_index) = r;
                if i < end && format[i] == b'*' {
                    i += 1;
                    let (n, ok, na) = int_from_arg(args, arg_num);
                    arg_num = na;
                    if n < 0 || !ok {
                        self.f.prec = None;
                        self.write_str("%!(BADPREC)");
                    } else {
                        self.f.prec = Some(n as usize);
                    }
                    after_index = false;
                } else {
                    let (p, j) = parse_num(format, i, end);
                    self.f.prec = Some(p.unwrap_or(0));
                    i = j;
                }
            }
            if !after_index {
                let r = self.arg_number(arg_num, format, i, args.len(), &mut good, &mut reordered);
                (arg_num, i, _) = r;
            }
            if i >= end {
                self.write_str("%!(NOVERB)");
                break;
            }
            let (verb, w) = decode_rune(&format[i..]);
            i += w;
            if verb == '%' {
                self.buf.push(b'%');
            } else if !good {
                self.buf.extend_from_slice(b"%!");
                self.push_char(verb);
                self.write_str("(BADINDEX)");
            } else if arg_num >= args.len() {
                self.buf.extend_from_slice(b"%!");
                self.push_char(verb);
                self.write_str("(MISSING)");
            } else {
                if verb == 'v' {
                    self.f.sharp_v = self.f.sharp;
                    self.f.sharp = false;
                    self.f.plus_v = self.f.plus;
                    self.f.plus = false;
                }
                self.print_arg(&args[arg_num], verb);
                arg_num += 1;
            }
        }
        if !reordered && arg_num < args.len() {
            self.f = Flags::default();
            self.write_str("%!(EXTRA ");
            for (k, a) in args[arg_num..].iter().enumerate() {
                if k > 0 {
                    self.write_str(", ");
                }
                if a.is_missing() || a.is_nil() {
                    self.write_str("<nil>");
                } else {
                    let t = type_name(a);
                    self.write_str(&t);
                    self.buf.push(b'=');
                    self.print_arg(a, 'v');
                }
            }
            self.buf.push(b')');
        }
    }

    fn push_char(&mut self, c: char) {
        let mut b = [0u8; 4];
        self.buf.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
    }

    fn bad_verb_arg(&mut self, a: &Value, verb: char) {
        self.erroring = true;
        self.buf.extend_from_slice(b"%!");
        self.push_char(verb);
        self.buf.push(b'(');
        if a.is_missing() || a.is_nil() {
            self.write_str("<nil>");
        } else {
            let t = type_name(a);
            self.write_str(&t);
            self.buf.push(b'=');
            self.print_arg(a, 'v');
        }
        self.buf.push(b')');
        self.erroring = false;
    }

    /// Go's `printArg` (top-level operand).
    fn print_arg(&mut self, a: &Value, verb: char) {
        if a.is_missing() || a.is_nil() {
            match verb {
                'T' | 'v' => self.pad(b"<nil>"),
                _ => self.bad_verb_arg(a, verb),
            }
            return;
        }
        if verb == 'T' {
            let t = type_name(a);
            let f = self.f;
            self.f = Flags {
                wid: f.wid,
                prec: f.prec,
                minus: f.minus,
                zero: f.zero,
                ..Flags::default()
            };
            self.fmt_string_bytes(t.as_bytes(), 's');
            self.f = f;
            return;
        }
        if verb == 'p' || verb == 'w' {
            self.bad_verb_arg(a, verb);
            return;
        }
        self.print_value(a, verb, 0);
    }

    /// Go's `handleMethods`: Stringer / error / GoStringer on host records.
    fn handle_methods(&mut self, v: &Value, verb: char) -> bool {
        if self.erroring {
            return false;
        }
        let Value::Record(r) = v else { return false };
        let ty = r.go_type();
        if self.f.sharp_v {
            if let Some(m) = ty.method("GoString").filter(|m| m.sig.params.is_empty()) {
                if let Ok(s) = (m.imp)(v, &[]) {
                    let b = s.as_bytes().unwrap_or_default().to_vec();
                    let f = self.f;
                    self.f.sharp_v = false;
                    self.fmt_string_bytes(&b, 's');
                    self.f = f;
                    return true;
                }
            }
            return false;
        }
        if !matches!(verb, 'v' | 's' | 'x' | 'X' | 'q') {
            return false;
        }
        for name in ["Error", "String"] {
            if let Some(m) = ty.method(name).filter(|m| m.sig.params.is_empty()) {
                match (m.imp)(v, &[]) {
                    Ok(s) => {
                        let b = s.as_bytes().unwrap_or_default().to_vec();
                        self.fmt_string_bytes(&b, verb);
                    }
                    Err(e) => {
                        self.buf.extend_from_slice(b"%!");
                        self.push_char(verb);
                        self.write_str(&format!("(PANIC={name} method: {})", e.message()));
                    }
                }
                return true;
            }
        }
        false
    }

    fn print_value(&mut self, v: &Value, verb: char, depth: usize) {
        if self.handle_methods(v, verb) {
            return;
        }
        match v {
            Value::Missing | Value::Nil => {
                if depth == 0 {
                    self.pad(b"<invalid reflect.Value>");
                } else if self.f.sharp_v {
                    self.write_str("interface {}(nil)");
                } else {
                    self.write_str("<nil>");
                }
            }
            Value::Bool(b) => self.fmt_bool(*b, verb, v),
            Value::Int(i, _) => self.fmt_integer(*i as u64, true, verb, v),
            Value::Uint(u, _) => self.fmt_integer(*u, false, verb, v),
            Value::Float(f, k) => self.fmt_float(*f, *k == Kind::Float32, verb, v),
            Value::Complex(re, im, k) => self.fmt_complex(*re, *im, *k == Kind::Complex64, verb, v),
            Value::String(s) => {
                let b = s.as_bytes().to_vec();
                self.fmt_string(&b, verb, v);
            }
            Value::Map(m) => {
                if self.f.sharp_v {
                    self.write_str(m.ty.name());
                    if m.nil {
                        self.write_str("(nil)");
                        return;
                    }
                    self.buf.push(b'{');
                } else {
                    self.write_str("map[");
                }
                for (i, (k, val)) in m.entries.iter().enumerate() {
                    if i > 0 {
                        if self.f.sharp_v {
                            self.write_str(", ");
                        } else {
                            self.buf.push(b' ');
                        }
                    }
                    self.print_value(&Value::String(k.clone()), verb, depth + 1);
                    self.buf.push(b':');
                    self.print_value(val, verb, depth + 1);
                }
                if self.f.sharp_v {
                    self.buf.push(b'}');
                } else {
                    self.buf.push(b']');
                }
            }
            Value::Record(r) => {
                if self.f.sharp_v {
                    self.write_str(r.ty.name());
                }
                self.buf.push(b'{');
                let names = r.ty.fields().to_vec();
                for (i, val) in r.fields().iter().enumerate() {
                    if i > 0 {
                        if self.f.sharp_v {
                            self.write_str(", ");
                        } else {
                            self.buf.push(b' ');
                        }
                    }
                    if self.f.plus_v || self.f.sharp_v {
                        if let Some(n) = names.get(i) {
                            self.write_str(n);
                            self.buf.push(b':');
                        }
                    }
                    self.print_value(val, verb, depth + 1);
                }
                self.buf.push(b'}');
            }
            Value::List(l) => {
                if self.f.sharp_v {
                    self.write_str(l.ty.name());
                    if l.nil {
                        self.write_str("(nil)");
                        return;
                    }
                    self.buf.push(b'{');
                    for (i, e) in l.items.iter().enumerate() {
                        if i > 0 {
                            self.write_str(", ");
                        }
                        self.print_value(e, verb, depth + 1);
                    }
                    self.buf.push(b'}');
                    return;
                }
                self.buf.push(b'[');
                for (i, e) in l.items.iter().enumerate() {
                    if i > 0 {
                        self.buf.push(b' ');
                    }
                    self.print_value(e, verb, depth + 1);
                }
                self.buf.push(b']');
            }
        }
    }

    fn fmt_string(&mut self, s: &[u8], verb: char, v: &Value) {
        match verb {
            'v' => {
                if self.f.sharp_v {
                    let q = quote_with(self.truncate(s), '"', false);
                    self.pad(q.as_bytes());
                } else {
                    self.fmt_s(s);
                }
            }
            's' | 'x' | 'X' | 'q' => self.fmt_string_bytes(s, verb),
            _ => self.bad_verb_arg(v, verb),
        }
    }

    fn fmt_string_bytes(&mut self, s: &[u8], verb: char) {
        match verb {
            'x' | 'X' => self.fmt_sx(s, verb == 'X'),
            'q' => {
                let s = self.truncate(s).to_vec();
                if self.f.sharp && can_backquote(&s) {
                    let mut q = Vec::with_capacity(s.len() + 2);
                    q.push(b'`');
                    q.extend_from_slice(&s);
                    q.push(b'`');
                    self.pad(&q);
                } else {
                    let q = quote_with(&s, '"', self.f.plus);
                    self.pad(q.as_bytes());
                }
            }
            _ => self.fmt_s(s),
        }
    }

    fn truncate<'s>(&self, s: &'s [u8]) -> &'s [u8] {
        match self.f.prec {
            Some(p) => first_runes(s, p),
            None => s,
        }
    }

    fn fmt_s(&mut self, s: &[u8]) {
        let s = self.truncate(s).to_vec();
        self.pad(&s);
    }

    fn fmt_sx(&mut self, s: &[u8], upper: bool) {
        let digits: &[u8] = if upper { b"0123456789ABCDEF" } else { b"0123456789abcdef" };
        let n = self.f.prec.map_or(s.len(), |p| p.min(s.len()));
        let s = &s[..n];
        let mut out = Vec::new();
        for (i, &c) in s.iter().enumerate() {
            if i > 0 && self.f.space {
                out.push(b' ');
            }
            if self.f.sharp && (i == 0 || self.f.space) {
                out.push(b'0');
                out.push(if upper { b'X' } else { b'x' });
            }
            out.push(digits[usize::from(c >> 4)]);
            out.push(digits[usize::from(c & 15)]);
        }
        self.pad(&out);
    }
}

fn can_backquote(s: &[u8]) -> bool {
    let Ok(st) = std::str::from_utf8(s) else { return false };
    st.chars().all(|c| c != '`' && c != '\u{FEFF}' && (c == '\t' || !(c < ' ' || c == '\x7f')))
}

fn rune_count(s: &[u8]) -> usize {
    match std::str::from_utf8(s) {
        Ok(st) => st.chars().count(),
        Err(_) => {
            let mut n = 0;
            let mut i = 0;
            while i < s.len() {
                i += decode_rune(&s[i..]).1.max(1);
                n += 1;
            }
            n
        }
    }
}

mod numbers;

#[cfg(test)]
mod tests;
