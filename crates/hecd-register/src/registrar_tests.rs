//! Table tests of name validation.

use super::*;

#[test]
fn names() {
    for ok in ["web1", "web-1.a", "app_1", "x"] {
        validate_name(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for (bad, why) in [
        ("", "empty"),
        ("a/b", "single path segment"),
        ("..", "not names"),
        ("_hidden", "hidden"),
        ("a b", "spaces"),
        ("a\tb", "spaces"),
    ] {
        let e = validate_name(bad).unwrap_err().to_string();
        assert!(e.contains(why), "{bad:?}: {e}");
    }
}

#[test]
fn prefix_must_be_absolute() {
    let c = hecd_client::Client::builder().endpoints(["127.0.0.1:1"]).build().unwrap();
    assert!(matches!(Registrar::new(c.clone(), "app"), Err(Error::InvalidPrefix { .. })));
    let r = Registrar::new(c, "/app/servers/").unwrap();
    assert_eq!(r.key("web1"), "/app/servers/web1");
}
