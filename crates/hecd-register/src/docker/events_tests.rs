//! The events parser over a stream recorded from a real engine (`fixtures/register/docker/`).

use super::*;

fn recorded() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/register/docker/events.jsonl");
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn recorded_stream_in_odd_chunks() {
    let bytes = recorded();
    let mut lines = LineBuffer::default();
    let mut events = Vec::new();
    for chunk in bytes.chunks(37) {
        lines.push(chunk);
        while let Some(line) = lines.next_line() {
            events.extend(parse_event(&line));
        }
    }
    let count = |a: Action| events.iter().filter(|e| e.action == a).count();
    // The recording: 12 starts, 2 dies, one kill, one pause, one destroy, a health check
    // turning unhealthy then healthy, and exec/create/attach events that are not followed.
    assert_eq!(count(Action::Start), 12);
    assert_eq!(count(Action::Die), 2);
    assert_eq!(count(Action::Kill), 1);
    assert_eq!(count(Action::Pause), 1);
    assert_eq!(count(Action::Destroy), 1);
    assert_eq!(count(Action::Health), 2);
    assert_eq!(events.len(), 19);
    assert!(events.iter().all(|e| e.id.len() == 64), "full ids");
}

#[test]
fn other_types_and_garbage_are_ignored() {
    for line in [
        &br#"{"Type":"network","Action":"connect","Actor":{"ID":"n1"}}"#[..],
        br#"{"Type":"container","Action":"exec_start: /bin/sh","Actor":{"ID":"c1"}}"#,
        br#"{"Type":"container","Action":"start"}"#,
        b"not json",
        b"",
    ] {
        assert_eq!(parse_event(line), None, "{}", String::from_utf8_lossy(line));
    }
    assert_eq!(
        parse_event(
            br#"{"Type":"container","Action":"health_status: healthy","Actor":{"ID":"c1"}}"#
        ),
        Some(Event { id: "c1".into(), action: Action::Health, signal: None })
    );
}

#[test]
fn stop_signals() {
    let kill = |sig: &str| {
        let line = format!(
            r#"{{"Type":"container","Action":"kill","Actor":{{"ID":"c1","Attributes":{{"signal":"{sig}"}}}}}}"#
        );
        parse_event(line.as_bytes()).unwrap()
    };
    assert!(kill("15").is_stopping());
    assert!(kill("9").is_stopping());
    assert!(!kill("1").is_stopping(), "SIGHUP reloads, it does not stop");
    // The recorded `docker rm -f` sent signal 9.
    let bytes = recorded();
    let killed: Vec<Event> = bytes
        .split(|b| *b == b'\n')
        .filter_map(parse_event)
        .filter(|e| e.action == Action::Kill)
        .collect();
    assert_eq!(killed.len(), 1);
    assert!(killed[0].is_stopping());
}
