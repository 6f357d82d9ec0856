//! Bodies recorded from etcd 3.4 (`--enable-v2`) under `fixtures/v2api/` decode into the wire
//! types and encode back byte for byte (field order and omitempty rules).

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::path::Path;

use hecd_v2api::{ErrorBody, ErrorCode, Response};

/// Decodes and re-encodes one recorded body.
#[track_caller]
fn check(file: &Path) {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let text = text.trim_end();
    let again = if text.contains("\"errorCode\"") {
        let body: ErrorBody =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let code = ErrorCode::from_code(body.error_code).expect("known code");
        assert_eq!(code.message(), body.message, "{}", file.display());
        // The code's one-line text, as errors and logs show it.
        assert_eq!(code.to_string(), format!("{}: {}", body.error_code, body.message));
        serde_json::to_string(&body).expect("encode")
    } else {
        let body: Response =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        // `as_str` is the spelling etcd puts in "action".
        let raw: serde_json::Value = serde_json::from_str(text).expect("json");
        assert_eq!(Some(body.action.as_str()), raw["action"].as_str(), "{}", file.display());
        serde_json::to_string(&body).expect("encode")
    };
    assert_eq!(again, text, "{}", file.display());
}

#[test]
fn recorded_bodies_round_trip() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/v2api");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/v2api")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "expected recorded bodies in {}", dir.display());
    for f in &files {
        check(f);
    }
}
