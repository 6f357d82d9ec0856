//! `datetime` (Go's `time.Now`) as a host `time.Time` value with the methods templates
//! can call: `Format`, `String`, `UTC`, `Local`, `Year`, `Month`, `Day`, `Weekday`,
//! `Hour`, `Minute`, `Second`, `Nanosecond`, `YearDay`, `Unix`, `UnixMilli`,
//! `UnixMicro`, `UnixNano`, `IsZero`, `Before`, `After`, `Equal`.
//!
//! The local zone follows Go's rules for `TZ` (unset: `/etc/localtime`; empty or `UTC`:
//! UTC; otherwise a zoneinfo file); `jiff` reads the TZif file (transitions, then the
//! footer's POSIX rule, as Go does). Known gaps: `Month` and `Weekday` print their names
//! (`November`) and have the right `%T`, but as records they do not compare equal to
//! integers as Go's named integer types do; the monotonic reading that `String` prints
//! (`m=+0.000466455`) counts from the creation of the function map rather than from
//! process start.

#[cfg(test)]
mod tests;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hecd_template::{FuncError, FuncMap, Function, Method, Record, Signature, Type, Value};

use super::ConfdTypes;

/// An instant with the zone it is shown in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoTime {
    /// Seconds since the Unix epoch.
    pub unix: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
    /// Offset east of UTC in seconds.
    pub offset: i32,
    /// Zone abbreviation (`UTC`, `CET`); empty when unknown.
    pub zone: String,
    /// Go's monotonic clock reading, which only `time.Now` results carry.
    pub monotonic: Option<Duration>,
}

impl GoTime {
    /// The current time in the local zone, with a monotonic reading relative to `start`.
    pub fn now(start: Instant) -> GoTime {
        let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let unix = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        let (offset, zone) = local_zone(unix);
        GoTime { unix, nanos: d.subsec_nanos(), offset, zone, monotonic: Some(start.elapsed()) }
    }

    /// The same instant in UTC (without monotonic reading, as in Go).
    pub fn utc(&self) -> GoTime {
        GoTime { offset: 0, zone: "UTC".to_owned(), monotonic: None, ..self.clone() }
    }

    /// The same instant in the local zone (without monotonic reading).
    pub fn local(&self) -> GoTime {
        let (offset, zone) = local_zone(self.unix);
        GoTime { offset, zone, monotonic: None, ..self.clone() }
    }

    fn civil(&self) -> Civil {
        Civil::from_unix(self.unix + i64::from(self.offset))
    }

    /// Go's `Time.Format` with a reference-time layout (`2006-01-02 15:04:05 MST`).
    pub fn format(&self, layout: &str) -> String {
        let c = self.civil();
        let mut out = String::new();
        let mut rest = layout;
        while !rest.is_empty() {
            let (prefix, token, after) = next_token(rest);
            out.push_str(prefix);
            if let Some(token) = token {
                self.write_token(&mut out, &c, token);
            }
            rest = after;
        }
        out
    }

    fn write_token(&self, out: &mut String, c: &Civil, token: Token) {
        use std::fmt::Write as _;
        let hour12 = match c.hour % 12 {
            0 => 12,
            h => h,
        };
        // Writing to a String cannot fail.
        let _ = match token {
            Token::LongYear => write!(out, "{:04}", c.year),
            Token::Year => write!(out, "{:02}", c.year.rem_euclid(100)),
            Token::LongMonth => write!(out, "{}", MONTHS[c.month as usize - 1]),
            Token::Month => write!(out, "{}", &MONTHS[c.month as usize - 1][..3]),
            Token::NumMonth => write!(out, "{}", c.month),
            Token::ZeroMonth => write!(out, "{:02}", c.month),
            Token::LongWeekDay => write!(out, "{}", DAYS[c.weekday as usize]),
            Token::WeekDay => write!(out, "{}", &DAYS[c.weekday as usize][..3]),
            Token::Day => write!(out, "{}", c.day),
            Token::UnderDay => write!(out, "{:>2}", c.day),
            Token::ZeroDay => write!(out, "{:02}", c.day),
            Token::Hour => write!(out, "{:02}", c.hour),
            Token::Hour12 => write!(out, "{hour12}"),
            Token::ZeroHour12 => write!(out, "{hour12:02}"),
            Token::Minute => write!(out, "{}", c.minute),
            Token::ZeroMinute => write!(out, "{:02}", c.minute),
            Token::Second => write!(out, "{}", c.second),
            Token::ZeroSecond => write!(out, "{:02}", c.second),
            Token::Pm => write!(out, "{}", if c.hour >= 12 { "PM" } else { "AM" }),
            Token::LowerPm => write!(out, "{}", if c.hour >= 12 { "pm" } else { "am" }),
            Token::ZoneName if !self.zone.is_empty() => write!(out, "{}", self.zone),
            Token::ZoneName => write_offset(
                out,
                self.offset,
                Offset { iso: false, colon: false, minutes: true, seconds: false },
            ),
            Token::Offset(style) => write_offset(out, self.offset, style),
            Token::Frac { sep, digits, trim } => {
                let mut s = format!("{:09}", self.nanos);
                s.truncate(digits);
                if trim {
                    while s.ends_with('0') {
                        s.pop();
                    }
                }
                if !s.is_empty() {
                    out.push(sep);
                    out.push_str(&s);
                }
                Ok(())
            }
        };
    }

    /// Go's `Time.String`, including the ` m=+S.NNNNNNNNN` monotonic suffix when present.
    pub fn go_string(&self) -> String {
        let mut s = self.format("2006-01-02 15:04:05.999999999 -0700 MST");
        if let Some(m) = self.monotonic {
            s.push_str(&format!(" m=+{}.{:09}", m.as_secs(), m.subsec_nanos()));
        }
        s
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] =
    ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// A broken-down date and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    weekday: u32,
    yday: u32,
}

impl Civil {
    fn from_unix(secs: i64) -> Civil {
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400) as u32;
        // Days to civil date (proleptic Gregorian), era-based.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        const BEFORE: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
        let yday = BEFORE[month as usize - 1] + day + u32::from(leap && month > 2);
        Civil {
            year,
            month,
            day,
            hour: sod / 3600,
            minute: sod / 60 % 60,
            second: sod % 60,
            weekday: (days + 4).rem_euclid(7) as u32,
            yday,
        }
    }
}

/// How a numeric zone offset is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Offset {
    /// `Z` for UTC instead of `+00:00`.
    iso: bool,
    colon: bool,
    minutes: bool,
    seconds: bool,
}

fn write_offset(out: &mut String, offset: i32, style: Offset) -> std::fmt::Result {
    use std::fmt::Write as _;
    if style.iso && offset == 0 {
        out.push('Z');
        return Ok(());
    }
    out.push(if offset < 0 { '-' } else { '+' });
    let abs = offset.unsigned_abs();
    write!(out, "{:02}", abs / 3600)?;
    if style.minutes {
        if style.colon {
            out.push(':');
        }
        write!(out, "{:02}", abs / 60 % 60)?;
    }
    if style.seconds {
        if style.colon {
            out.push(':');
        }
        write!(out, "{:02}", abs % 60)?;
    }
    Ok(())
}

/// A layout element of Go's reference time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    LongYear,
    Year,
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    Pm,
    LowerPm,
    ZoneName,
    Offset(Offset),
    Frac { sep: char, digits: usize, trim: bool },
}

/// Splits `layout` into literal text, the next token (if any) and the rest, with the
/// precedence of Go 1.19's layout scanner.
fn next_token(layout: &str) -> (&str, Option<Token>, &str) {
    let b = layout.as_bytes();
    let at = |i: usize, s: &str| layout.get(i..).is_some_and(|r| r.starts_with(s));
    let lower_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_lowercase);
    let digit_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    for i in 0..b.len() {
        let found: Option<(Token, usize)> = match b[i] {
            b'J' if at(i, "January") => Some((Token::LongMonth, 7)),
            b'J' if at(i, "Jan") && !lower_at(i + 3) => Some((Token::Month, 3)),
            b'M' if at(i, "Monday") => Some((Token::LongWeekDay, 6)),
            b'M' if at(i, "Mon") && !lower_at(i + 3) => Some((Token::WeekDay, 3)),
            b'M' if at(i, "MST") => Some((Token::ZoneName, 3)),
            b'0' => match b.get(i + 1) {
                Some(b'1') => Some((Token::ZeroMonth, 2)),
                Some(b'2') => Some((Token::ZeroDay, 2)),
                Some(b'3') => Some((Token::ZeroHour12, 2)),
                Some(b'4') => Some((Token::ZeroMinute, 2)),
                Some(b'5') => Some((Token::ZeroSecond, 2)),
                Some(b'6') => Some((Token::Year, 2)),
                _ => None,
            },
            b'1' if at(i, "15") => Some((Token::Hour, 2)),
            b'1' => Some((Token::NumMonth, 1)),
            b'2' if at(i, "2006") => Some((Token::LongYear, 4)),
            b'2' => Some((Token::Day, 1)),
            b'_' if at(i, "_2006") => {
                return (&layout[..i + 1], Some(Token::LongYear), &layout[i + 5..])
            }
            b'_' if at(i, "_2") => Some((Token::UnderDay, 2)),
            b'3' => Some((Token::Hour12, 1)),
            b'4' => Some((Token::Minute, 1)),
            b'5' => Some((Token::Second, 1)),
            b'P' if at(i, "PM") => Some((Token::Pm, 2)),
            b'p' if at(i, "pm") => Some((Token::LowerPm, 2)),
            b'-' | b'Z' => offset_token(&layout[i..]),
            b'.' | b',' if matches!(b.get(i + 1), Some(b'0' | b'9')) => {
                let digit = b[i + 1];
                let n = b[i + 1..].iter().take_while(|c| **c == digit).count();
                if digit_at(i + 1 + n) {
                    None
                } else {
                    let token = Token::Frac {
                        sep: char::from(b[i]),
                        digits: n.min(9),
                        trim: digit == b'9',
                    };
                    Some((token, n + 1))
                }
            }
            _ => None,
        };
        if let Some((token, len)) = found {
            return (&layout[..i], Some(token), &layout[i + len..]);
        }
    }
    (layout, None, "")
}

fn offset_token(s: &str) -> Option<(Token, usize)> {
    let iso = s.starts_with('Z');
    let body = &s[1..];
    let forms: [(&str, bool, bool, bool); 5] = [
        ("070000", false, true, true),
        ("07:00:00", true, true, true),
        ("0700", false, true, false),
        ("07:00", true, true, false),
        ("07", false, false, false),
    ];
    forms.iter().find(|(f, ..)| body.starts_with(f)).map(|(f, colon, minutes, seconds)| {
        (
            Token::Offset(Offset { iso, colon: *colon, minutes: *minutes, seconds: *seconds }),
            f.len() + 1,
        )
    })
}

/// The local zone's offset and abbreviation at `unix`, following Go's `TZ` rules.
fn local_zone(unix: i64) -> (i32, String) {
    let utc = || (0, "UTC".to_owned());
    let file = match std::env::var_os("TZ") {
        None => std::path::PathBuf::from("/etc/localtime"),
        Some(tz) => {
            let tz = tz.to_string_lossy().into_owned();
            let tz = tz.strip_prefix(':').unwrap_or(&tz).to_owned();
            if tz.is_empty() || tz == "UTC" {
                return utc();
            }
            if tz.starts_with('/') {
                std::path::PathBuf::from(tz)
            } else {
                match ["/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/", "/usr/lib/locale/TZ/"]
                    .iter()
                    .map(|d| std::path::Path::new(d).join(&tz))
                    .find(|p| p.is_file())
                {
                    Some(p) => p,
                    None => return utc(),
                }
            }
        }
    };
    std::fs::read(file).ok().and_then(|data| tzif_zone(&data, unix)).unwrap_or_else(utc)
}

/// The offset and abbreviation in effect at `unix` according to a TZif file (jiff reads
/// it: transitions, then the footer's POSIX rule after the last one, as Go does).
pub(crate) fn tzif_zone(data: &[u8], unix: i64) -> Option<(i32, String)> {
    let zone = jiff::tz::TimeZone::tzif("Local", data).ok()?;
    let info = zone.to_offset_info(jiff::Timestamp::from_second(unix).ok()?);
    Some((info.offset().seconds(), info.abbreviation().to_owned()))
}

/// The `time.Time` type with its methods.
pub(super) fn time_type() -> Type {
    fn recv(v: &Value) -> Result<&GoTime, FuncError> {
        v.as_record()
            .and_then(|r| r.payload::<GoTime>())
            .ok_or_else(|| FuncError::new("not a time.Time"))
    }
    let int_method = |name: &'static str, f: fn(&GoTime) -> i64| {
        Method::new(name, Signature::new([]), move |r, _| Ok(Value::int(f(recv(r)?))))
    };
    // UTC and Local return time.Time values, which need the type being built; they
    // rebuild the record from the receiver's own type.
    let rezone = |name: &'static str, f: fn(&GoTime) -> GoTime| {
        Method::new(name, Signature::new([]), move |r, _| {
            let t = f(recv(r)?);
            let ty = r
                .as_record()
                .map(|rec| rec.go_type().clone())
                .ok_or_else(|| FuncError::new("not a time.Time"))?;
            Ok(Value::record(Record::new(ty, Vec::new()).with_payload(t)))
        })
    };
    let month = named_int("time.Month", |m| MONTHS.get(m as usize - 1).copied());
    let weekday = named_int("time.Weekday", |d| DAYS.get(d as usize).copied());
    let month_ty = month.clone();
    let weekday_ty = weekday.clone();
    let nanos_total = |t: &GoTime| i128::from(t.unix) * 1_000_000_000 + i128::from(t.nanos);
    let compare = move |name: &'static str, want: std::cmp::Ordering| {
        Method::new(name, Signature::new([Type::record("time.Time", &[]).build()]), move |r, a| {
            let other = a[0]
                .as_record()
                .and_then(|rec| rec.payload::<GoTime>())
                .ok_or_else(|| FuncError::new("not a time.Time"))?;
            Ok(Value::bool(nanos_total(recv(r)?).cmp(&nanos_total(other)) == want))
        })
    };
    Type::record("time.Time", &[])
        .method(Method::new("Month", Signature::new([]), move |r, _| {
            Ok(Value::record(
                Record::new(month_ty.clone(), Vec::new())
                    .with_payload(i64::from(recv(r)?.civil().month)),
            ))
        }))
        .method(Method::new("Weekday", Signature::new([]), move |r, _| {
            Ok(Value::record(
                Record::new(weekday_ty.clone(), Vec::new())
                    .with_payload(i64::from(recv(r)?.civil().weekday)),
            ))
        }))
        .method(Method::new("IsZero", Signature::new([]), |r, _| {
            // Go's zero time is January 1, year 1, 00:00:00 UTC.
            let t = recv(r)?;
            Ok(Value::bool(t.unix == -62_135_596_800 && t.nanos == 0))
        }))
        .method(Method::new("UnixMilli", Signature::new([]), move |r, _| {
            Ok(Value::int64((nanos_total(recv(r)?) / 1_000_000) as i64))
        }))
        .method(Method::new("UnixMicro", Signature::new([]), move |r, _| {
            Ok(Value::int64((nanos_total(recv(r)?) / 1_000) as i64))
        }))
        .method(compare("Before", std::cmp::Ordering::Less))
        .method(compare("After", std::cmp::Ordering::Greater))
        .method(compare("Equal", std::cmp::Ordering::Equal))
        .method(Method::new("Format", Signature::new([Type::string()]), |r, a| {
            Ok(Value::from(
                recv(r)?.format(&String::from_utf8_lossy(a[0].as_bytes().unwrap_or(b""))),
            ))
        }))
        .method(Method::new("String", Signature::new([]), |r, _| {
            Ok(Value::from(recv(r)?.go_string()))
        }))
        .method(rezone("UTC", GoTime::utc))
        .method(rezone("Local", GoTime::local))
        .method(int_method("Year", |t| t.civil().year))
        .method(int_method("Day", |t| i64::from(t.civil().day)))
        .method(int_method("Hour", |t| i64::from(t.civil().hour)))
        .method(int_method("Minute", |t| i64::from(t.civil().minute)))
        .method(int_method("Second", |t| i64::from(t.civil().second)))
        .method(int_method("Nanosecond", |t| i64::from(t.nanos)))
        .method(int_method("YearDay", |t| i64::from(t.civil().yday)))
        .method(Method::new("Unix", Signature::new([]), |r, _| Ok(Value::int64(recv(r)?.unix))))
        .method(Method::new("UnixNano", Signature::new([]), |r, _| {
            let t = recv(r)?;
            Ok(Value::int64(t.unix.wrapping_mul(1_000_000_000).wrapping_add(i64::from(t.nanos))))
        }))
        .build()
}

/// A Go named integer type that prints through its `String` method (`time.Month`),
/// modelled as a record whose payload is the number.
fn named_int(name: &'static str, label: fn(i64) -> Option<&'static str>) -> Type {
    Type::record(name, &[])
        .method(Method::new("String", Signature::new([]), move |r, _| {
            let n = r.as_record().and_then(|rec| rec.payload::<i64>()).copied().unwrap_or(0);
            Ok(Value::from(
                label(n).map_or_else(|| format!("%!{}({n})", &name[5..]), str::to_owned),
            ))
        }))
        .build()
}

/// Registers `datetime`.
pub(super) fn register(m: &mut FuncMap, types: &ConfdTypes) {
    let ty = types.time.clone();
    let start = Instant::now();
    m.insert(
        "datetime",
        Function::new(Signature::new([]), move |_| {
            Ok(Value::record(Record::new(ty.clone(), Vec::new()).with_payload(GoTime::now(start))))
        }),
    );
}
