//! Go's `strings` package on byte strings: `ToUpper`, `ToLower`, `Split`, `Replace`,
//! `Contains`, with Go's handling of invalid UTF-8.

#[cfg(test)]
mod tests;

use crate::utf8::decode_rune_checked as decode_rune;

/// Go's `strings.ToUpper`: per-character *simple* case mapping (`ß` stays `ß`).
pub fn to_upper(s: &str) -> String {
    s.chars().map(|c| map_case(c, true)).collect()
}

/// Go's `strings.ToLower`: per-character simple case mapping (`İ` → `i`, no final sigma).
pub fn to_lower(s: &str) -> String {
    s.chars().map(|c| map_case(c, false)).collect()
}

/// [`to_upper`] on Go's byte strings: each invalid UTF-8 byte becomes U+FFFD, as
/// `strings.Map` does (pure ASCII is copied through).
pub fn to_upper_bytes(s: &[u8]) -> Vec<u8> {
    map_bytes(s, true)
}

/// [`to_lower`] on Go's byte strings.
pub fn to_lower_bytes(s: &[u8]) -> Vec<u8> {
    map_bytes(s, false)
}

fn map_bytes(s: &[u8], upper: bool) -> Vec<u8> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        let (c, width) = decode_rune(rest);
        out.push(map_case(c.unwrap_or(char::REPLACEMENT_CHARACTER), upper));
        rest = &rest[width..];
    }
    out.into_bytes()
}

fn map_case(c: char, upper: bool) -> char {
    if let Ok(i) = CASE_EXCEPTIONS.binary_search_by_key(&c, |e| e.0) {
        let (_, u, l) = CASE_EXCEPTIONS[i];
        return if upper { u } else { l };
    }
    // A multi-character full mapping has no simple counterpart unless listed above.
    fn single(mut it: impl Iterator<Item = char>, c: char) -> char {
        match (it.next(), it.next()) {
            (Some(one), None) => one,
            _ => c,
        }
    }
    if upper {
        single(c.to_uppercase(), c)
    } else {
        single(c.to_lowercase(), c)
    }
}

/// The byte offset of the first `needle` in `hay` (Go's `strings.Index`).
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Go's `strings.Contains` on byte strings.
pub fn contains(s: &[u8], substr: &[u8]) -> bool {
    find(s, substr).is_some()
}

/// Go's `strings.Split` on byte strings: an empty separator splits into UTF-8
/// sequences, each invalid byte on its own (shown as U+FFFD unless it is last).
pub fn split_bytes(s: &[u8], sep: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = s;
    if sep.is_empty() {
        // Go's `explode`: an invalid byte becomes U+FFFD, except in the last piece,
        // which is the raw remainder.
        while !rest.is_empty() {
            let (c, width) = decode_rune(rest);
            if width == rest.len() || c.is_some() {
                out.push(rest[..width].to_vec());
            } else {
                out.push("\u{fffd}".as_bytes().to_vec());
            }
            rest = &rest[width..];
        }
        return out;
    }
    while let Some(i) = find(rest, sep) {
        out.push(rest[..i].to_vec());
        rest = &rest[i + sep.len()..];
    }
    out.push(rest.to_vec());
    out
}

/// [`split_bytes`] on text.
pub fn split(s: &str, sep: &str) -> Vec<String> {
    split_bytes(s.as_bytes(), sep.as_bytes())
        .into_iter()
        .map(|part| String::from_utf8_lossy(&part).into_owned())
        .collect()
}

/// Go's `strings.Replace` on byte strings: at most `n` replacements (`n < 0`: all); an
/// empty `old` matches before every UTF-8 sequence and at the end.
pub fn replace_bytes(s: &[u8], old: &[u8], new: &[u8], n: i64) -> Vec<u8> {
    if old == new || n == 0 {
        return s.to_vec();
    }
    let total = if old.is_empty() {
        let mut count = 1;
        let mut rest = s;
        while !rest.is_empty() {
            rest = &rest[decode_rune(rest).1..];
            count += 1;
        }
        count
    } else {
        let mut count = 0;
        let mut rest = s;
        while let Some(i) = find(rest, old) {
            count += 1;
            rest = &rest[i + old.len()..];
        }
        count
    };
    let limit = if n < 0 { total } else { total.min(usize::try_from(n).unwrap_or(usize::MAX)) };
    let mut out = Vec::with_capacity(s.len());
    let mut rest = s;
    for i in 0..limit {
        let cut = if old.is_empty() {
            if i == 0 || rest.is_empty() {
                0
            } else {
                decode_rune(rest).1
            }
        } else {
            find(rest, old).unwrap_or(rest.len())
        };
        out.extend_from_slice(&rest[..cut]);
        out.extend_from_slice(new);
        rest = &rest[cut + old.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// [`replace_bytes`] on text.
pub fn replace(s: &str, old: &str, new: &str, n: i64) -> String {
    String::from_utf8_lossy(&replace_bytes(s.as_bytes(), old.as_bytes(), new.as_bytes(), n))
        .into_owned()
}

/// Characters whose Go (Unicode 13, simple mapping) upper/lower case differs from what
/// Rust's single-character mapping gives: `(char, ToUpper, ToLower)`, sorted.
/// Generated by comparing Go 1.19's `unicode.ToUpper/ToLower` with Rust's over every
/// code point.
#[rustfmt::skip]
const CASE_EXCEPTIONS: &[(char, char, char)] = &[
    ('\u{130}', '\u{130}', '\u{69}'),
    ('\u{19b}', '\u{19b}', '\u{19b}'),
    ('\u{264}', '\u{264}', '\u{264}'),
    ('\u{1c89}', '\u{1c89}', '\u{1c89}'),
    ('\u{1c8a}', '\u{1c8a}', '\u{1c8a}'),
    ('\u{1f80}', '\u{1f88}', '\u{1f80}'),
    ('\u{1f81}', '\u{1f89}', '\u{1f81}'),
    ('\u{1f82}', '\u{1f8a}', '\u{1f82}'),
    ('\u{1f83}', '\u{1f8b}', '\u{1f83}'),
    ('\u{1f84}', '\u{1f8c}', '\u{1f84}'),
    ('\u{1f85}', '\u{1f8d}', '\u{1f85}'),
    ('\u{1f86}', '\u{1f8e}', '\u{1f86}'),
    ('\u{1f87}', '\u{1f8f}', '\u{1f87}'),
    ('\u{1f90}', '\u{1f98}', '\u{1f90}'),
    ('\u{1f91}', '\u{1f99}', '\u{1f91}'),
    ('\u{1f92}', '\u{1f9a}', '\u{1f92}'),
    ('\u{1f93}', '\u{1f9b}', '\u{1f93}'),
    ('\u{1f94}', '\u{1f9c}', '\u{1f94}'),
    ('\u{1f95}', '\u{1f9d}', '\u{1f95}'),
    ('\u{1f96}', '\u{1f9e}', '\u{1f96}'),
    ('\u{1f97}', '\u{1f9f}', '\u{1f97}'),
    ('\u{1fa0}', '\u{1fa8}', '\u{1fa0}'),
    ('\u{1fa1}', '\u{1fa9}', '\u{1fa1}'),
    ('\u{1fa2}', '\u{1faa}', '\u{1fa2}'),
    ('\u{1fa3}', '\u{1fab}', '\u{1fa3}'),
    ('\u{1fa4}', '\u{1fac}', '\u{1fa4}'),
    ('\u{1fa5}', '\u{1fad}', '\u{1fa5}'),
    ('\u{1fa6}', '\u{1fae}', '\u{1fa6}'),
    ('\u{1fa7}', '\u{1faf}', '\u{1fa7}'),
    ('\u{1fb3}', '\u{1fbc}', '\u{1fb3}'),
    ('\u{1fc3}', '\u{1fcc}', '\u{1fc3}'),
    ('\u{1ff3}', '\u{1ffc}', '\u{1ff3}'),
    ('\u{2c2f}', '\u{2c2f}', '\u{2c2f}'),
    ('\u{2c5f}', '\u{2c5f}', '\u{2c5f}'),
    ('\u{a7c0}', '\u{a7c0}', '\u{a7c0}'),
    ('\u{a7c1}', '\u{a7c1}', '\u{a7c1}'),
    ('\u{a7cb}', '\u{a7cb}', '\u{a7cb}'),
    ('\u{a7cc}', '\u{a7cc}', '\u{a7cc}'),
    ('\u{a7cd}', '\u{a7cd}', '\u{a7cd}'),
    ('\u{a7ce}', '\u{a7ce}', '\u{a7ce}'),
    ('\u{a7cf}', '\u{a7cf}', '\u{a7cf}'),
    ('\u{a7d0}', '\u{a7d0}', '\u{a7d0}'),
    ('\u{a7d1}', '\u{a7d1}', '\u{a7d1}'),
    ('\u{a7d2}', '\u{a7d2}', '\u{a7d2}'),
    ('\u{a7d3}', '\u{a7d3}', '\u{a7d3}'),
    ('\u{a7d4}', '\u{a7d4}', '\u{a7d4}'),
    ('\u{a7d5}', '\u{a7d5}', '\u{a7d5}'),
    ('\u{a7d6}', '\u{a7d6}', '\u{a7d6}'),
    ('\u{a7d7}', '\u{a7d7}', '\u{a7d7}'),
    ('\u{a7d8}', '\u{a7d8}', '\u{a7d8}'),
    ('\u{a7d9}', '\u{a7d9}', '\u{a7d9}'),
    ('\u{a7da}', '\u{a7da}', '\u{a7da}'),
    ('\u{a7db}', '\u{a7db}', '\u{a7db}'),
    ('\u{a7dc}', '\u{a7dc}', '\u{a7dc}'),
    ('\u{10570}', '\u{10570}', '\u{10570}'),
    ('\u{10571}', '\u{10571}', '\u{10571}'),
    ('\u{10572}', '\u{10572}', '\u{10572}'),
    ('\u{10573}', '\u{10573}', '\u{10573}'),
    ('\u{10574}', '\u{10574}', '\u{10574}'),
    ('\u{10575}', '\u{10575}', '\u{10575}'),
    ('\u{10576}', '\u{10576}', '\u{10576}'),
    ('\u{10577}', '\u{10577}', '\u{10577}'),
    ('\u{10578}', '\u{10578}', '\u{10578}'),
    ('\u{10579}', '\u{10579}', '\u{10579}'),
    ('\u{1057a}', '\u{1057a}', '\u{1057a}'),
    ('\u{1057c}', '\u{1057c}', '\u{1057c}'),
    ('\u{1057d}', '\u{1057d}', '\u{1057d}'),
    ('\u{1057e}', '\u{1057e}', '\u{1057e}'),
    ('\u{1057f}', '\u{1057f}', '\u{1057f}'),
    ('\u{10580}', '\u{10580}', '\u{10580}'),
    ('\u{10581}', '\u{10581}', '\u{10581}'),
    ('\u{10582}', '\u{10582}', '\u{10582}'),
    ('\u{10583}', '\u{10583}', '\u{10583}'),
    ('\u{10584}', '\u{10584}', '\u{10584}'),
    ('\u{10585}', '\u{10585}', '\u{10585}'),
    ('\u{10586}', '\u{10586}', '\u{10586}'),
    ('\u{10587}', '\u{10587}', '\u{10587}'),
    ('\u{10588}', '\u{10588}', '\u{10588}'),
    ('\u{10589}', '\u{10589}', '\u{10589}'),
    ('\u{1058a}', '\u{1058a}', '\u{1058a}'),
    ('\u{1058c}', '\u{1058c}', '\u{1058c}'),
    ('\u{1058d}', '\u{1058d}', '\u{1058d}'),
    ('\u{1058e}', '\u{1058e}', '\u{1058e}'),
    ('\u{1058f}', '\u{1058f}', '\u{1058f}'),
    ('\u{10590}', '\u{10590}', '\u{10590}'),
    ('\u{10591}', '\u{10591}', '\u{10591}'),
    ('\u{10592}', '\u{10592}', '\u{10592}'),
    ('\u{10594}', '\u{10594}', '\u{10594}'),
    ('\u{10595}', '\u{10595}', '\u{10595}'),
    ('\u{10597}', '\u{10597}', '\u{10597}'),
    ('\u{10598}', '\u{10598}', '\u{10598}'),
    ('\u{10599}', '\u{10599}', '\u{10599}'),
    ('\u{1059a}', '\u{1059a}', '\u{1059a}'),
    ('\u{1059b}', '\u{1059b}', '\u{1059b}'),
    ('\u{1059c}', '\u{1059c}', '\u{1059c}'),
    ('\u{1059d}', '\u{1059d}', '\u{1059d}'),
    ('\u{1059e}', '\u{1059e}', '\u{1059e}'),
    ('\u{1059f}', '\u{1059f}', '\u{1059f}'),
    ('\u{105a0}', '\u{105a0}', '\u{105a0}'),
    ('\u{105a1}', '\u{105a1}', '\u{105a1}'),
    ('\u{105a3}', '\u{105a3}', '\u{105a3}'),
    ('\u{105a4}', '\u{105a4}', '\u{105a4}'),
    ('\u{105a5}', '\u{105a5}', '\u{105a5}'),
    ('\u{105a6}', '\u{105a6}', '\u{105a6}'),
    ('\u{105a7}', '\u{105a7}', '\u{105a7}'),
    ('\u{105a8}', '\u{105a8}', '\u{105a8}'),
    ('\u{105a9}', '\u{105a9}', '\u{105a9}'),
    ('\u{105aa}', '\u{105aa}', '\u{105aa}'),
    ('\u{105ab}', '\u{105ab}', '\u{105ab}'),
    ('\u{105ac}', '\u{105ac}', '\u{105ac}'),
    ('\u{105ad}', '\u{105ad}', '\u{105ad}'),
    ('\u{105ae}', '\u{105ae}', '\u{105ae}'),
    ('\u{105af}', '\u{105af}', '\u{105af}'),
    ('\u{105b0}', '\u{105b0}', '\u{105b0}'),
    ('\u{105b1}', '\u{105b1}', '\u{105b1}'),
    ('\u{105b3}', '\u{105b3}', '\u{105b3}'),
    ('\u{105b4}', '\u{105b4}', '\u{105b4}'),
    ('\u{105b5}', '\u{105b5}', '\u{105b5}'),
    ('\u{105b6}', '\u{105b6}', '\u{105b6}'),
    ('\u{105b7}', '\u{105b7}', '\u{105b7}'),
    ('\u{105b8}', '\u{105b8}', '\u{105b8}'),
    ('\u{105b9}', '\u{105b9}', '\u{105b9}'),
    ('\u{105bb}', '\u{105bb}', '\u{105bb}'),
    ('\u{105bc}', '\u{105bc}', '\u{105bc}'),
    ('\u{10d50}', '\u{10d50}', '\u{10d50}'),
    ('\u{10d51}', '\u{10d51}', '\u{10d51}'),
    ('\u{10d52}', '\u{10d52}', '\u{10d52}'),
    ('\u{10d53}', '\u{10d53}', '\u{10d53}'),
    ('\u{10d54}', '\u{10d54}', '\u{10d54}'),
    ('\u{10d55}', '\u{10d55}', '\u{10d55}'),
    ('\u{10d56}', '\u{10d56}', '\u{10d56}'),
    ('\u{10d57}', '\u{10d57}', '\u{10d57}'),
    ('\u{10d58}', '\u{10d58}', '\u{10d58}'),
    ('\u{10d59}', '\u{10d59}', '\u{10d59}'),
    ('\u{10d5a}', '\u{10d5a}', '\u{10d5a}'),
    ('\u{10d5b}', '\u{10d5b}', '\u{10d5b}'),
    ('\u{10d5c}', '\u{10d5c}', '\u{10d5c}'),
    ('\u{10d5d}', '\u{10d5d}', '\u{10d5d}'),
    ('\u{10d5e}', '\u{10d5e}', '\u{10d5e}'),
    ('\u{10d5f}', '\u{10d5f}', '\u{10d5f}'),
    ('\u{10d60}', '\u{10d60}', '\u{10d60}'),
    ('\u{10d61}', '\u{10d61}', '\u{10d61}'),
    ('\u{10d62}', '\u{10d62}', '\u{10d62}'),
    ('\u{10d63}', '\u{10d63}', '\u{10d63}'),
    ('\u{10d64}', '\u{10d64}', '\u{10d64}'),
    ('\u{10d65}', '\u{10d65}', '\u{10d65}'),
    ('\u{10d70}', '\u{10d70}', '\u{10d70}'),
    ('\u{10d71}', '\u{10d71}', '\u{10d71}'),
    ('\u{10d72}', '\u{10d72}', '\u{10d72}'),
    ('\u{10d73}', '\u{10d73}', '\u{10d73}'),
    ('\u{10d74}', '\u{10d74}', '\u{10d74}'),
    ('\u{10d75}', '\u{10d75}', '\u{10d75}'),
    ('\u{10d76}', '\u{10d76}', '\u{10d76}'),
    ('\u{10d77}', '\u{10d77}', '\u{10d77}'),
    ('\u{10d78}', '\u{10d78}', '\u{10d78}'),
    ('\u{10d79}', '\u{10d79}', '\u{10d79}'),
    ('\u{10d7a}', '\u{10d7a}', '\u{10d7a}'),
    ('\u{10d7b}', '\u{10d7b}', '\u{10d7b}'),
    ('\u{10d7c}', '\u{10d7c}', '\u{10d7c}'),
    ('\u{10d7d}', '\u{10d7d}', '\u{10d7d}'),
    ('\u{10d7e}', '\u{10d7e}', '\u{10d7e}'),
    ('\u{10d7f}', '\u{10d7f}', '\u{10d7f}'),
    ('\u{10d80}', '\u{10d80}', '\u{10d80}'),
    ('\u{10d81}', '\u{10d81}', '\u{10d81}'),
    ('\u{10d82}', '\u{10d82}', '\u{10d82}'),
    ('\u{10d83}', '\u{10d83}', '\u{10d83}'),
    ('\u{10d84}', '\u{10d84}', '\u{10d84}'),
    ('\u{10d85}', '\u{10d85}', '\u{10d85}'),
    ('\u{16ea0}', '\u{16ea0}', '\u{16ea0}'),
    ('\u{16ea1}', '\u{16ea1}', '\u{16ea1}'),
    ('\u{16ea2}', '\u{16ea2}', '\u{16ea2}'),
    ('\u{16ea3}', '\u{16ea3}', '\u{16ea3}'),
    ('\u{16ea4}', '\u{16ea4}', '\u{16ea4}'),
    ('\u{16ea5}', '\u{16ea5}', '\u{16ea5}'),
    ('\u{16ea6}', '\u{16ea6}', '\u{16ea6}'),
    ('\u{16ea7}', '\u{16ea7}', '\u{16ea7}'),
    ('\u{16ea8}', '\u{16ea8}', '\u{16ea8}'),
    ('\u{16ea9}', '\u{16ea9}', '\u{16ea9}'),
    ('\u{16eaa}', '\u{16eaa}', '\u{16eaa}'),
    ('\u{16eab}', '\u{16eab}', '\u{16eab}'),
    ('\u{16eac}', '\u{16eac}', '\u{16eac}'),
    ('\u{16ead}', '\u{16ead}', '\u{16ead}'),
    ('\u{16eae}', '\u{16eae}', '\u{16eae}'),
    ('\u{16eaf}', '\u{16eaf}', '\u{16eaf}'),
    ('\u{16eb0}', '\u{16eb0}', '\u{16eb0}'),
    ('\u{16eb1}', '\u{16eb1}', '\u{16eb1}'),
    ('\u{16eb2}', '\u{16eb2}', '\u{16eb2}'),
    ('\u{16eb3}', '\u{16eb3}', '\u{16eb3}'),
    ('\u{16eb4}', '\u{16eb4}', '\u{16eb4}'),
    ('\u{16eb5}', '\u{16eb5}', '\u{16eb5}'),
    ('\u{16eb6}', '\u{16eb6}', '\u{16eb6}'),
    ('\u{16eb7}', '\u{16eb7}', '\u{16eb7}'),
    ('\u{16eb8}', '\u{16eb8}', '\u{16eb8}'),
    ('\u{16ebb}', '\u{16ebb}', '\u{16ebb}'),
    ('\u{16ebc}', '\u{16ebc}', '\u{16ebc}'),
    ('\u{16ebd}', '\u{16ebd}', '\u{16ebd}'),
    ('\u{16ebe}', '\u{16ebe}', '\u{16ebe}'),
    ('\u{16ebf}', '\u{16ebf}', '\u{16ebf}'),
    ('\u{16ec0}', '\u{16ec0}', '\u{16ec0}'),
    ('\u{16ec1}', '\u{16ec1}', '\u{16ec1}'),
    ('\u{16ec2}', '\u{16ec2}', '\u{16ec2}'),
    ('\u{16ec3}', '\u{16ec3}', '\u{16ec3}'),
    ('\u{16ec4}', '\u{16ec4}', '\u{16ec4}'),
    ('\u{16ec5}', '\u{16ec5}', '\u{16ec5}'),
    ('\u{16ec6}', '\u{16ec6}', '\u{16ec6}'),
    ('\u{16ec7}', '\u{16ec7}', '\u{16ec7}'),
    ('\u{16ec8}', '\u{16ec8}', '\u{16ec8}'),
    ('\u{16ec9}', '\u{16ec9}', '\u{16ec9}'),
    ('\u{16eca}', '\u{16eca}', '\u{16eca}'),
    ('\u{16ecb}', '\u{16ecb}', '\u{16ecb}'),
    ('\u{16ecc}', '\u{16ecc}', '\u{16ecc}'),
    ('\u{16ecd}', '\u{16ecd}', '\u{16ecd}'),
    ('\u{16ece}', '\u{16ece}', '\u{16ece}'),
    ('\u{16ecf}', '\u{16ecf}', '\u{16ecf}'),
    ('\u{16ed0}', '\u{16ed0}', '\u{16ed0}'),
    ('\u{16ed1}', '\u{16ed1}', '\u{16ed1}'),
    ('\u{16ed2}', '\u{16ed2}', '\u{16ed2}'),
    ('\u{16ed3}', '\u{16ed3}', '\u{16ed3}'),
];
