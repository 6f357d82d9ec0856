//! Unit tests for the fmt implementation.

use super::{sprint, sprintf, sprintln};
use crate::value::Value;

#[track_caller]
fn check(format: &str, args: &[Value], want: &str) {
    let mut out = Vec::new();
    sprintf(&mut out, format.as_bytes(), args);
    assert_eq!(String::from_utf8_lossy(&out), want, "Sprintf({format:?})");
}

#[test]
fn integer_verbs() {
    let i = Value::int;
    check(
        "%d|%5d|%-5d|%05d|%+d",
        &[i(42), i(42), i(42), i(-42), i(42)],
        "42|   42|42   |-0042|+42",
    );
    check(
        "%x %X %o %O %b %c %q %U",
        &[i(255), i(255), i(8), i(8), i(5), i(65), i(65), i(65)],
        "ff FF 10 0o10 101 A 'A' U+0041",
    );
    check("%#x %#o %.3d %8.3d", &[i(255), i(8), i(7), i(-7)], "0xff 010 007     -007");
}

#[test]
fn float_and_string_verbs() {
    let f = Value::float64;
    check(
        "%f %.2f %e %g %G",
        &[f(3.5), f(4.56789), f(1234.5), f(1e-7), f(1e21)],
        "3.500000 4.57 1.234500e+03 1e-07 1E+21",
    );
    check(
        "%s|%10s|%-4s|%.2s|%q|%x",
        &vec![Value::from("abc"); 6],
        "abc|       abc|abc |ab|\"abc\"|616263",
    );
}

#[test]
fn error_forms() {
    check("%d", &[Value::float64(2.5)], "%!d(float64=2.5)");
    check("%d %d", &[Value::int(1)], "1 %!d(MISSING)");
    check("%d", &[Value::int(1), Value::int(2)], "1%!(EXTRA int=2)");
    check("%z", &[Value::int(1)], "%!z(int=1)");
    check("%s", &[Value::int64(3)], "%!s(int64=3)");
    check("%d", &[Value::Nil], "%!d(<nil>)");
    check("abc%", &[], "abc%!(NOVERB)");
    check("%*d|%-*d", &[Value::int(4), Value::int(1), Value::int(3), Value::int(2)], "   1|2  ");
}

#[test]
fn composite_values() {
    let l = Value::interface_list(vec![Value::int64(1), Value::from("a"), Value::Nil]);
    check(
        "%v|%+v|%#v|%T",
        &[l.clone(), l.clone(), l.clone(), l],
        "[1 a <nil>]|[1 a <nil>]|[]interface {}{1, \"a\", interface {}(nil)}|[]interface {}",
    );
    let m = Value::interface_map([("b", Value::int64(2)), ("a", Value::float64(1.5))]);
    check("%v|%#v", &[m.clone(), m], "map[a:1.5 b:2]|map[string]interface {}{\"a\":1.5, \"b\":2}");
}

#[test]
fn sprint_spacing_and_sprintln() {
    let mut out = Vec::new();
    sprint(
        &mut out,
        &[Value::int(1), Value::int(2), Value::from("a"), Value::int(3), Value::int(4)],
    );
    assert_eq!(out, b"1 2a3 4");
    let mut out = Vec::new();
    sprintln(&mut out, &[Value::from("a"), Value::int(1)]);
    assert_eq!(out, b"a 1\n");
}
