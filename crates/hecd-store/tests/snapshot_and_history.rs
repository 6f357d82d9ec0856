//! Black-box checks of what a restart and a late watcher depend on: a snapshot that is
//! corrupt or deeper than the decoder allows is refused with the offset of the bad bytes,
//! while every valid one restores; a watch from a past index finds exactly the events of
//! its key (and, recursively, of the keys below it, not of a sibling sharing its prefix).

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hecd_store::{GetOptions, SnapshotError, Store, WatchOptions, WriteOptions};

/// The documented snapshot layout (see `snapshot.rs`): a node header.
fn header(out: &mut Vec<u8>, dir: bool, expire: Option<(i64, u32)>) {
    out.push(u8::from(dir));
    out.extend_from_slice(&1u64.to_le_bytes());
    out.extend_from_slice(&1u64.to_le_bytes());
    match expire {
        None => out.push(0),
        Some((s, ns)) => {
            out.push(1);
            out.extend_from_slice(&s.to_le_bytes());
            out.extend_from_slice(&ns.to_le_bytes());
        }
    }
}

fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

/// A snapshot holding one chain of directories `depth` deep ending in a file `/a/a/…/v`,
/// whose file node sits at depth `depth + 1` (the root is at depth 0).
fn chain(depth: usize, expire: Option<(i64, u32)>) -> Vec<u8> {
    let mut out = b"HECDSNP1".to_vec();
    out.extend_from_slice(&7u64.to_le_bytes());
    header(&mut out, true, None);
    for _ in 0..depth {
        out.extend_from_slice(&1u32.to_le_bytes());
        bytes(&mut out, b"a");
        header(&mut out, true, None);
    }
    out.extend_from_slice(&1u32.to_le_bytes());
    bytes(&mut out, b"v");
    header(&mut out, false, expire);
    bytes(&mut out, b"x");
    out
}

fn restore(data: &[u8]) -> Result<Store, SnapshotError> {
    let mut s = Store::new(100);
    s.restore(data)?;
    Ok(s)
}

#[test]
fn snapshots_as_deep_as_the_limit_restore_and_deeper_ones_are_refused() {
    // A file at depth 1024 (1023 directories under the root) is the deepest node allowed.
    let s = restore(&chain(1023, None)).expect("depth 1024 restores");
    let key = format!("{}/v", "/a".repeat(1023));
    let got = s.get(&key, GetOptions::default(), UNIX_EPOCH).expect("the deep key is there");
    assert_eq!(got.node.value.as_deref(), Some("x"));
    assert_eq!(s.index(), 7);
    match restore(&chain(1024, None)) {
        Err(SnapshotError::Corrupt { offset }) => assert!(offset > 16, "offset {offset}"),
        Err(other) => panic!("want Corrupt, got {other}"),
        Ok(_) => panic!("a node deeper than 1024 was accepted"),
    }
}

#[test]
fn snapshot_expiry_times_are_checked() {
    // The Unix epoch itself is a valid expiry time; it restores as written.
    let s = restore(&chain(0, Some((0, 0)))).expect("expiry at the epoch restores");
    let got = s.get("/v", GetOptions::default(), UNIX_EPOCH).unwrap();
    assert_eq!(got.node.expiration, Some(UNIX_EPOCH));
    let later = restore(&chain(0, Some((1_700_000_000, 999_999_999)))).expect("valid nanoseconds");
    let got = later.get("/v", GetOptions::default(), UNIX_EPOCH).unwrap();
    assert_eq!(got.node.expiration, Some(UNIX_EPOCH + Duration::new(1_700_000_000, 999_999_999)));
    // Before the epoch, or with a nanosecond field of a second or more: corrupt, at the node.
    let node_offset = 8 + 8 + 1 + 8 + 8 + 1 + 4 + 4 + 1;
    for (what, bad) in [
        ("negative seconds", (-1, 0)),
        ("nanoseconds >= 1e9", (5, 1_000_000_000)),
        ("both", (-5, 2_000_000_000)),
    ] {
        match restore(&chain(0, Some(bad))) {
            Err(SnapshotError::Corrupt { offset }) => assert_eq!(offset, node_offset, "{what}"),
            Err(other) => panic!("{what}: want Corrupt, got {other}"),
            Ok(_) => panic!("{what}: accepted"),
        }
    }
}

/// A snapshot whose root holds files with these names (values "x"), in this order.
fn files(names: &[&str]) -> Vec<u8> {
    let mut out = b"HECDSNP1".to_vec();
    out.extend_from_slice(&7u64.to_le_bytes());
    header(&mut out, true, None);
    out.extend_from_slice(&(names.len() as u32).to_le_bytes());
    for name in names {
        bytes(&mut out, name.as_bytes());
        header(&mut out, false, None);
        bytes(&mut out, b"x");
    }
    out
}

#[test]
fn children_out_of_name_order_or_named_twice_are_refused_where_they_stand() {
    let s = restore(&files(&["a", "b", "ba", "c"])).expect("names in order restore");
    let got = s.get("/", GetOptions { sorted: true, ..Default::default() }, UNIX_EPOCH).unwrap();
    let keys: Vec<_> = got.node.nodes.iter().flatten().map(|n| n.key.as_str()).collect();
    assert_eq!(keys, ["/a", "/b", "/ba", "/c"]);
    // Each child takes 4 + 1 bytes of name, a 18-byte header and 4 + 1 bytes of value; the root's
    // count ends at offset 8 + 8 + 18 + 4.
    let child_at = |i: usize| 38 + i * (5 + 18 + 5);
    for (what, names, bad) in [
        ("a name twice", vec!["a", "b", "b"], 2),
        ("out of order", vec!["a", "c", "b"], 2),
        ("the first two swapped", vec!["b", "a", "c"], 1),
    ] {
        match restore(&files(&names)) {
            Err(SnapshotError::Corrupt { offset }) => assert_eq!(offset, child_at(bad), "{what}"),
            Err(other) => panic!("{what}: want Corrupt, got {other}"),
            Ok(_) => panic!("{what}: accepted"),
        }
    }
    // A count larger than the bytes left is truncation, not an allocation of that many children.
    let mut huge = files(&["a"]);
    huge[34..38].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(restore(&huge), Err(SnapshotError::Truncated { .. })));
}

/// The events a watcher has received so far, as `key@index`.
fn received(w: &mut hecd_store::Watcher) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(e) = w.events.try_recv() {
        out.push(format!("{}@{}", e.node.key, e.index));
    }
    out
}

#[test]
fn a_watch_from_the_past_matches_its_key_and_below_but_not_siblings() {
    let now = SystemTime::UNIX_EPOCH;
    let mut s = Store::new(100);
    s.write("/foobar", WriteOptions::value("1"), now).unwrap(); // 1
    s.write("/foo/x", WriteOptions::value("2"), now).unwrap(); // 2
    s.write("/food", WriteOptions::value("3"), now).unwrap(); // 3
    let past = |recursive| WatchOptions { recursive, since_index: Some(1), ..Default::default() };

    // Recursive from index 1: the first event below /foo is /foo/x; /foobar shares only a
    // string prefix.
    let mut w = s.watch("/foo", past(true)).unwrap();
    assert_eq!(received(&mut w), ["/foo/x@2"]);
    // Not recursive: nothing in the history is /foo itself; the watcher waits.
    let mut w = s.watch("/foo", past(false)).unwrap();
    assert_eq!(received(&mut w), Vec::<String>::new());
    // A trailing slash names the same directory.
    let mut w = s.watch("/foo/", past(true)).unwrap();
    assert_eq!(received(&mut w), ["/foo/x@2"]);
    // The root, recursively, sees the very first event.
    let mut w = s.watch("/", past(true)).unwrap();
    assert_eq!(received(&mut w), ["/foobar@1"]);
    // A sibling-prefixed key alone.
    let mut w = s.watch("/foobar", past(true)).unwrap();
    assert_eq!(received(&mut w), ["/foobar@1"]);
}

#[test]
fn values_dirs_and_the_next_expiry_survive_a_snapshot() {
    let now = UNIX_EPOCH + Duration::from_secs(1_000);
    let mut s = Store::new(100);
    assert_eq!(s.next_expiry(), None, "no TTL key yet");
    s.write("/d", WriteOptions::dir(), now).unwrap();
    s.write("/d/k", WriteOptions::value("v"), now).unwrap();
    let soon = now + Duration::from_secs(30);
    let later = now + Duration::from_secs(60);
    s.write("/t2", WriteOptions { expiration: Some(later), ..WriteOptions::value("b") }, now)
        .unwrap();
    s.write("/t1", WriteOptions { expiration: Some(soon), ..WriteOptions::value("a") }, now)
        .unwrap();
    assert_eq!(s.next_expiry(), Some(soon), "the earliest expiry is scheduled");

    let mut restored = Store::new(100);
    restored.restore(&s.snapshot()).unwrap();
    // A restarted member must still expire the TTL keys it restored, first the earliest.
    assert_eq!(restored.next_expiry(), Some(soon));
    let d = restored.get("/d", GetOptions::default(), now).unwrap();
    assert!(d.node.dir, "/d is a directory");
    let k = restored.get("/d/k", GetOptions::default(), now).unwrap();
    assert_eq!(k.node.value.as_deref(), Some("v"));
    let expired: Vec<String> = restored.expire(soon).iter().map(|e| e.node.key.clone()).collect();
    assert_eq!(expired, ["/t1"]);
    assert_eq!(restored.next_expiry(), Some(later));
}

#[test]
fn refreshes_are_not_replayed_to_watchers_from_the_past() {
    let now = UNIX_EPOCH + Duration::from_secs(1_000);
    let mut s = Store::new(100);
    let ttl = |secs| Some(now + Duration::from_secs(secs));
    s.write("/k", WriteOptions { expiration: ttl(10), ..WriteOptions::value("v") }, now).unwrap(); // 1
    let refresh = WriteOptions {
        expiration: ttl(20),
        refresh: true,
        precondition: hecd_store::Precondition::Exists(true),
        ..Default::default()
    };
    let e = s.write("/k", refresh, now).unwrap(); // 2, a refresh
    assert_eq!(e.index, 2);
    assert_eq!(e.node.value.as_deref(), Some("v"), "a refresh keeps the value");
    s.write("/k", WriteOptions::value("w"), now).unwrap(); // 3
                                                           // From index 2 on, the first event a watcher may see is the real change at 3.
    let mut w = s.watch("/k", WatchOptions { since_index: Some(2), ..Default::default() }).unwrap();
    assert_eq!(received(&mut w), ["/k@3"]);
}

#[test]
fn the_watcher_count_follows_watches_events_unwatches_and_restores() {
    let now = UNIX_EPOCH;
    let mut s = Store::new(100);
    let count = |s: &Store| s.stats().watchers;
    let once = WatchOptions::default();
    let stream = WatchOptions { stream: true, ..Default::default() };
    let mut a = s.watch("/k", once).unwrap();
    let b = s.watch("/k", stream).unwrap();
    let c = s.watch("/k", stream).unwrap();
    assert_eq!(count(&s), 3);
    // One of two watchers of the same key goes: the other stays counted.
    s.unwatch(&b);
    assert_eq!(count(&s), 2);
    // An event ends the one-shot watch and keeps the stream.
    s.write("/k", WriteOptions::value("1"), now).unwrap();
    assert_eq!(received(&mut a), ["/k@1"]);
    assert_eq!(count(&s), 1);
    s.unwatch(&c);
    assert_eq!(count(&s), 0);
    // A restore drops every watcher and closes its channel.
    let mut d = s.watch("/k", stream).unwrap();
    assert_eq!(count(&s), 1);
    let snap = s.snapshot();
    s.restore(&snap).unwrap();
    assert_eq!(count(&s), 0);
    assert!(matches!(
        d.events.try_recv(),
        Err(tokio::sync::mpsc::error::TryRecvError::Disconnected)
    ));
}

#[test]
fn refreshes_take_their_place_in_the_history_window() {
    // etcd's history holds refreshes too: with a window of 3 events, three refreshes push
    // the first write out, and a watch from it is answered 401 (event index cleared).
    let now = UNIX_EPOCH + Duration::from_secs(1_000);
    let mut s = Store::new(3);
    let ttl = Some(now + Duration::from_secs(10));
    s.write("/k", WriteOptions { expiration: ttl, ..WriteOptions::value("v") }, now).unwrap(); // 1
    for _ in 0..3 {
        let refresh = WriteOptions {
            expiration: ttl,
            refresh: true,
            precondition: hecd_store::Precondition::Exists(true),
            ..Default::default()
        };
        s.write("/k", refresh, now).unwrap(); // 2, 3, 4
    }
    let err =
        s.watch("/k", WatchOptions { since_index: Some(1), ..Default::default() }).unwrap_err();
    assert_eq!(err.code, hecd_store::ErrorCode::EventIndexCleared, "{err:?}");
}

#[test]
fn an_abandoned_watcher_is_forgotten_at_the_next_event_under_its_key() {
    // A client that went away (its receiver dropped, no unwatch) no longer counts once an
    // event reaches its key, even one it would not have been sent.
    let mut s = Store::new(100);
    let w = s.watch("/d", WatchOptions::default()).unwrap();
    assert_eq!(s.stats().watchers, 1);
    drop(w);
    s.write("/d/x", WriteOptions::value("1"), UNIX_EPOCH).unwrap();
    assert_eq!(s.stats().watchers, 0);
}

/// `snapshot_into` appends to what the buffer holds (a caller's header stays in front), with the
/// same bytes as `snapshot`, TTLs and hidden keys included.
#[test]
fn snapshot_into_appends_the_same_bytes_after_a_header() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut s = Store::new(100);
    s.write("/a/b", WriteOptions::value("x".repeat(300)), now).unwrap();
    s.write("/_hidden", WriteOptions::value("h"), now).unwrap();
    let ttl =
        WriteOptions { expiration: Some(now + Duration::from_secs(9)), ..WriteOptions::dir() };
    s.write("/t", ttl, now).unwrap();
    let mut buf = b"HEADER".to_vec();
    s.snapshot_into(&mut buf);
    assert_eq!(&buf[..6], b"HEADER");
    assert_eq!(&buf[6..], &s.snapshot()[..]);
    let mut restored = Store::new(100);
    restored.restore(&buf[6..]).unwrap();
    assert_eq!(restored.snapshot(), s.snapshot());
    assert_eq!(restored.next_expiry(), Some(now + Duration::from_secs(9)));
}

/// `write_snapshot` streams the same bytes as `snapshot` in chunks (a tree larger than a chunk),
/// and a writer's error comes back.
#[test]
fn write_snapshot_streams_the_same_bytes_and_reports_the_writers_error() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut s = Store::new(100);
    for i in 0..3000 {
        s.write(&format!("/big/k{i:05}"), WriteOptions::value("v".repeat(64)), now).unwrap();
    }
    let whole = s.snapshot();
    assert!(whole.len() > 3 * 64 * 1024);
    let mut chunks = Vec::new();
    struct Recording<'a>(&'a mut Vec<usize>, Vec<u8>);
    impl std::io::Write for Recording<'_> {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.push(b.len());
            self.1.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut w = Recording(&mut chunks, Vec::new());
    s.write_snapshot(&mut w).unwrap();
    assert_eq!(w.1, whole);
    assert!(chunks.len() > 3 && chunks.iter().all(|n| *n < 2 * 64 * 1024), "{chunks:?}");

    struct Full;
    impl std::io::Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from_raw_os_error(28))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let err = s.write_snapshot(&mut Full).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(28));
}
