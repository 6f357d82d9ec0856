//! Go's `unicode/utf8.DecodeRune`.

/// Go's `utf8.RuneError`, what invalid input decodes to.
pub const RUNE_ERROR: char = char::REPLACEMENT_CHARACTER;

/// Decodes the first UTF-8 sequence of `b` like Go's `utf8.DecodeRune`: an invalid or
/// truncated sequence gives ([`RUNE_ERROR`], 1), empty input ([`RUNE_ERROR`], 0).
///
/// A real U+FFFD in the input decodes with width 3, so `(RUNE_ERROR, 1)` always means
/// "invalid byte" (Go's idiom `r == utf8.RuneError && size == 1`).
pub fn decode_rune(b: &[u8]) -> (char, usize) {
    let Some(&first) = b.first() else {
        return (RUNE_ERROR, 0);
    };
    let width = match first {
        0x00..=0x7f => return (char::from(first), 1),
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return (RUNE_ERROR, 1),
    };
    match b.get(..width).and_then(|s| std::str::from_utf8(s).ok()).and_then(|t| t.chars().next()) {
        Some(c) => (c, width),
        None => (RUNE_ERROR, 1),
    }
}

/// [`decode_rune`] with the error case as `None`: `(None, 1)` for an invalid byte.
pub fn decode_rune_checked(b: &[u8]) -> (Option<char>, usize) {
    match decode_rune(b) {
        (RUNE_ERROR, 1) => (None, 1),
        (c, w) => (Some(c), w),
    }
}

/// The first `n` runes of `b` (all of it if it has fewer), as Go's `fmt` truncates a string to a
/// precision of `n`: an invalid byte counts as one rune.
pub fn first_runes(b: &[u8], n: usize) -> &[u8] {
    let mut end = 0;
    for _ in 0..n {
        if end == b.len() {
            break;
        }
        end += decode_rune(&b[end..]).1;
    }
    &b[..end]
}

#[cfg(test)]
mod tests {
    use super::{decode_rune, decode_rune_checked, first_runes, RUNE_ERROR};

    #[test]
    fn first_runes_counts_runes_and_invalid_bytes() {
        assert_eq!(first_runes(b"abc", 2), b"ab");
        assert_eq!(first_runes(b"abc", 3), b"abc");
        assert_eq!(first_runes(b"abc", 9), b"abc");
        assert_eq!(first_runes(b"abc", 0), b"");
        assert_eq!(first_runes("\u{e9}\u{e9}x".as_bytes(), 2), "\u{e9}\u{e9}".as_bytes());
        assert_eq!(first_runes(b"\xff\xfe\xe2\x82", 3), b"\xff\xfe\xe2");
        assert_eq!(first_runes("\u{1F600}a".as_bytes(), 1), "\u{1F600}".as_bytes());
    }

    #[test]
    fn decodes_like_go() {
        assert_eq!(decode_rune(b""), (RUNE_ERROR, 0));
        assert_eq!(decode_rune(b"a"), ('a', 1));
        assert_eq!(decode_rune("é!".as_bytes()), ('é', 2));
        assert_eq!(decode_rune("\u{fffd}".as_bytes()), (RUNE_ERROR, 3));
        assert_eq!(decode_rune(b"\xc3"), (RUNE_ERROR, 1));
        assert_eq!(decode_rune(b"\xed\xa0\x80"), (RUNE_ERROR, 1));
        assert_eq!(decode_rune_checked(b"\xff"), (None, 1));
        assert_eq!(decode_rune_checked("\u{fffd}".as_bytes()), (Some(RUNE_ERROR), 3));
    }
}
