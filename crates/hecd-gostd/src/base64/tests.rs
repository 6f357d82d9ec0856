//! Go-recorded expectations for `base64.StdEncoding` (Go 1.19).

use super::{decode, encode};

#[test]
fn base64_like_go() {
    assert_eq!(encode(b"Value"), "VmFsdWU=");
    assert_eq!(encode(b""), "");
    assert_eq!(encode(b"Valu"), "VmFsdQ==");
    for (input, want) in [
        ("VmFsdWU=", Ok("Value")),
        ("VmFsdQ==", Ok("Valu")),
        ("VmFs\ndWU=", Ok("Value")),
        ("VmFsdQ==\n", Ok("Valu")),
        ("VmFsdQ=\n=", Ok("Valu")),
        ("", Ok("")),
        ("VmFsdWU", Err(4)),
        ("VmFsdQ=", Err(7)),
        ("VmFsdQ", Err(4)),
        ("V", Err(0)),
        ("Vm=Fs", Err(2)),
        ("VmFsdWU=x", Err(8)),
        ("VmFsdQ=x", Err(6)),
        ("-_8=", Err(0)),
        ("=", Err(0)),
    ] {
        let got = decode(input.as_bytes())
            .map(|b| String::from_utf8(b).unwrap())
            .map_err(|e| e.to_string());
        let want =
            want.map(str::to_owned).map_err(|o| format!("illegal base64 data at input byte {o}"));
        assert_eq!(got, want, "input {input:?}");
    }
}
