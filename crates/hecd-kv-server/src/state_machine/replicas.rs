//! The replicated state machine as Raft drives it: committed entries
//! applied in order (compare-and-swap and compare-and-delete decided by the store exactly as
//! etcd decides them), membership changes, and snapshots that carry the store, the published
//! member attributes and the peer membership to a member that restores them.

use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use crate::entry::{to_nanos, LogEntry};
use crate::members::Membership;
use crate::state_machine::{ApplyOutput, KvStateMachine, MemberAttributes};
use hecd_raft::{MemberChange, StateMachine};
use hecd_store::{Action, ErrorCode, GetOptions, Store};

struct Member {
    sm: KvStateMachine,
    store: Arc<RwLock<Store>>,
    attrs: MemberAttributes,
    membership: Arc<Membership>,
    applied: u64,
}

impl Member {
    fn new(self_id: u64) -> Member {
        let store = Arc::new(RwLock::new(Store::new(100)));
        let attrs = MemberAttributes::default();
        let membership = Arc::new(Membership::new(self_id, &[(1, "http://10.0.0.1:2380".into())]));
        let sm =
            KvStateMachine::new(store.clone(), attrs.clone()).with_membership(membership.clone());
        Member { sm, store, attrs, membership, applied: 0 }
    }

    fn apply(&mut self, cmd: &LogEntry) -> ApplyOutput {
        self.applied += 1;
        self.sm.apply(self.applied, 1, &cmd.encode())
    }

    fn value(&self, key: &str) -> Option<String> {
        let now = SystemTime::now();
        let store = self.store.read().expect("lock");
        store.get(key, GetOptions::default(), now).ok().and_then(|e| e.node.value.clone())
    }

    fn index(&self) -> u64 {
        self.store.read().expect("lock").index()
    }
}

fn now() -> u64 {
    to_nanos(SystemTime::now())
}

fn put(key: &str, value: &str) -> LogEntry {
    LogEntry::Put {
        key: key.into(),
        value: value.into(),
        dir: false,
        expiration: None,
        refresh: false,
        prev_exist: None,
        prev_value: None,
        prev_index: 0,
        now: now(),
    }
}

fn cas(key: &str, value: &str, prev_value: Option<&str>, prev_index: u64) -> LogEntry {
    let mut entry = put(key, value);
    if let LogEntry::Put { prev_value: pv, prev_index: pi, .. } = &mut entry {
        *pv = prev_value.map(str::to_owned);
        *pi = prev_index;
    }
    entry
}

fn cad(key: &str, prev_value: Option<&str>, prev_index: u64) -> LogEntry {
    LogEntry::Delete {
        key: key.into(),
        dir: false,
        recursive: false,
        prev_value: prev_value.map(str::to_owned),
        prev_index,
        now: now(),
    }
}

#[track_caller]
fn refused(r: ApplyOutput, code: ErrorCode) {
    match r {
        Err(e) => assert_eq!(e.code, code, "{e:?}"),
        Ok(ev) => panic!("expected error {code:?}, applied {ev:?}"),
    }
}

#[track_caller]
fn applied(r: ApplyOutput, action: Action) -> u64 {
    let ev = r.expect("applied").expect("an event");
    assert_eq!(ev.action, action, "{ev:?}");
    ev.node.modified_index
}

#[test]
fn compare_and_swap_applies_only_when_every_given_condition_holds() {
    let mut m = Member::new(1);
    let i1 = applied(m.apply(&put("/k", "one")), Action::Set);

    // prevValue alone.
    refused(m.apply(&cas("/k", "x", Some("wrong"), 0)), ErrorCode::TestFailed);
    let i2 = applied(m.apply(&cas("/k", "two", Some("one"), 0)), Action::CompareAndSwap);
    assert_eq!(m.value("/k").as_deref(), Some("two"));
    // prevIndex alone.
    refused(m.apply(&cas("/k", "x", None, i1)), ErrorCode::TestFailed);
    refused(m.apply(&cas("/k", "x", None, i2 + 1)), ErrorCode::TestFailed);
    let i3 = applied(m.apply(&cas("/k", "three", None, i2)), Action::CompareAndSwap);
    // Both: each must hold.
    refused(m.apply(&cas("/k", "x", Some("three"), i2)), ErrorCode::TestFailed);
    refused(m.apply(&cas("/k", "x", Some("two"), i3)), ErrorCode::TestFailed);
    applied(m.apply(&cas("/k", "four", Some("three"), i3)), Action::CompareAndSwap);
    assert_eq!(m.value("/k").as_deref(), Some("four"));
    // A compare on a missing key is "not found", never a create.
    refused(m.apply(&cas("/missing", "x", Some("a"), 0)), ErrorCode::KeyNotFound);
    refused(m.apply(&cas("/missing", "x", None, 1)), ErrorCode::KeyNotFound);
    assert_eq!(m.value("/missing"), None);
    // Without a condition a write is a plain set, also of a new key.
    applied(m.apply(&put("/new", "v")), Action::Set);
}

#[test]
fn prev_exist_routes_before_the_compare() {
    let mut m = Member::new(1);
    let with_exist = |exist: bool, value: &str, prev_value: Option<&str>, prev_index: u64| match cas(
        "/k", value, prev_value, prev_index,
    ) {
        LogEntry::Put {
            key, value, dir, expiration, refresh, prev_value, prev_index, now, ..
        } => LogEntry::Put {
            key,
            value,
            dir,
            expiration,
            refresh,
            prev_exist: Some(exist),
            prev_value,
            prev_index,
            now,
        },
        _ => unreachable!(),
    };
    refused(m.apply(&with_exist(true, "x", None, 0)), ErrorCode::KeyNotFound);
    let i = applied(m.apply(&with_exist(false, "one", None, 0)), Action::Create);
    refused(m.apply(&with_exist(false, "x", Some("one"), 0)), ErrorCode::NodeExist);
    applied(m.apply(&with_exist(true, "two", None, 0)), Action::Update);
    // prevExist=true with a compare is a compare-and-swap that checks the compare.
    refused(m.apply(&with_exist(true, "x", Some("one"), 0)), ErrorCode::TestFailed);
    refused(m.apply(&with_exist(true, "x", None, i)), ErrorCode::TestFailed);
    applied(m.apply(&with_exist(true, "three", Some("two"), 0)), Action::CompareAndSwap);
    assert_eq!(m.value("/k").as_deref(), Some("three"));
}

#[test]
fn compare_and_delete_deletes_only_when_every_given_condition_holds() {
    let mut m = Member::new(1);
    let i = applied(m.apply(&put("/k", "v")), Action::Set);
    refused(m.apply(&cad("/k", Some("other"), 0)), ErrorCode::TestFailed);
    refused(m.apply(&cad("/k", None, i + 1)), ErrorCode::TestFailed);
    refused(m.apply(&cad("/k", Some("v"), i + 1)), ErrorCode::TestFailed);
    assert_eq!(m.value("/k").as_deref(), Some("v"));
    applied(m.apply(&cad("/k", Some("v"), i)), Action::CompareAndDelete);
    assert_eq!(m.value("/k"), None);
    let i = applied(m.apply(&put("/k", "v")), Action::Set);
    applied(m.apply(&cad("/k", None, i)), Action::CompareAndDelete);
    applied(m.apply(&put("/k", "v")), Action::Set);
    applied(m.apply(&cad("/k", Some("v"), 0)), Action::CompareAndDelete);
    applied(m.apply(&put("/k", "v")), Action::Set);
    applied(m.apply(&cad("/k", None, 0)), Action::Delete);
}

#[test]
fn membership_changes_and_peer_updates_reach_the_membership() {
    let mut m = Member::new(1);
    m.sm.on_member_change(2, &MemberChange::Add { id: 2, url: "http://10.0.0.2:2380".into() });
    assert_eq!(m.membership.peer_urls(2), Some(vec!["http://10.0.0.2:2380".to_owned()]));
    let upd = LogEntry::UpdatePeers { id: 2, peer_urls: vec!["http://10.0.0.22:2380".into()] };
    assert!(matches!(m.apply(&upd), Ok(None)));
    assert_eq!(m.membership.peer_urls(2), Some(vec!["http://10.0.0.22:2380".to_owned()]));
    m.sm.on_member_change(3, &MemberChange::Remove { id: 2 });
    assert!(m.membership.is_removed(2));
    assert_eq!(m.membership.peer_urls(2), None);
}

#[test]
fn a_snapshot_carries_store_attributes_and_membership_to_a_restoring_member() {
    let mut m = Member::new(1);
    m.sm.on_member_change(1, &MemberChange::Add { id: 2, url: "http://10.0.0.2:2380".into() });
    m.sm.on_member_change(2, &MemberChange::Add { id: 3, url: "http://10.0.0.3:2380".into() });
    m.sm.on_member_change(3, &MemberChange::Remove { id: 3 });
    let publish = LogEntry::Publish {
        id: 2,
        name: "infra2".into(),
        client_urls: vec!["http://10.0.0.2:2379".into()],
    };
    assert!(matches!(m.apply(&publish), Ok(None)));
    for i in 0..5 {
        applied(m.apply(&put(&format!("/dir/k{i}"), &"v".repeat(i * 50))), Action::Set);
    }
    let snap = m.sm.snapshot();

    let mut other = Member::new(2);
    other.sm.restore(9, 1, &snap).expect("restore");
    assert_eq!(other.index(), m.index());
    assert_eq!(other.value("/dir/k4"), Some("v".repeat(200)));
    assert_eq!(other.membership.get(), m.membership.get());
    assert!(other.membership.is_removed(3));
    assert_eq!(
        other.attrs.read().expect("lock").get(&2).cloned(),
        Some(("infra2".to_owned(), vec!["http://10.0.0.2:2379".to_owned()]))
    );
    // The restored member goes on applying where the snapshot left off.
    let k1 = "v".repeat(50);
    applied(other.apply(&cas("/dir/k1", "x", Some(&k1), 0)), Action::CompareAndSwap);

    // Every truncation is refused, and leaves the member as it was: its store, its member
    // attributes and its membership.
    for cut in [0, 4, 8, 11, 12, 20, snap.len() / 2, snap.len() - 1] {
        let mut fresh = Member::new(2);
        applied(fresh.apply(&put("/mine", "kept")), Action::Set);
        let before = fresh.membership.get();
        assert!(fresh.sm.restore(9, 1, &snap[..cut]).is_err(), "cut at {cut}");
        assert_eq!(fresh.value("/mine").as_deref(), Some("kept"), "cut at {cut}");
        assert_eq!(fresh.membership.get(), before, "cut at {cut}");
        assert!(fresh.attrs.read().expect("lock").is_empty(), "cut at {cut}");
    }
}

#[test]
fn a_snapshot_without_membership_restores_on_a_member_without_it() {
    let store = Arc::new(RwLock::new(Store::new(100)));
    let attrs = MemberAttributes::default();
    let mut sm = KvStateMachine::new(store.clone(), attrs.clone());
    let publish = LogEntry::Publish { id: 7, name: "m".into(), client_urls: vec![] };
    assert!(matches!(sm.apply(1, 1, &publish.encode()), Ok(None)));
    applied(sm.apply(2, 1, &put("/a", "1").encode()), Action::Set);
    applied(sm.apply(3, 1, &put("/b", "2").encode()), Action::Set);
    let snap = sm.snapshot();

    let mut other = Member::new(1);
    other.sm.restore(3, 1, &snap).expect("restore");
    assert_eq!(other.index(), 2);
    assert_eq!(other.value("/b").as_deref(), Some("2"));
    assert!(other.attrs.read().expect("lock").contains_key(&7));
    for cut in [4, 8, 11, 12, snap.len() - 1] {
        assert!(other.sm.restore(3, 1, &snap[..cut]).is_err(), "cut at {cut}");
    }
}

#[test]
fn sync_expires_due_keys_and_post_creates_in_order() {
    let mut m = Member::new(1);
    let t0 = now();
    let mut ttl = put("/t", "v");
    if let LogEntry::Put { expiration, now, .. } = &mut ttl {
        *expiration = Some(t0 + 1_000_000_000);
        *now = t0;
    }
    applied(m.apply(&ttl), Action::Set);
    assert!(matches!(m.apply(&LogEntry::Sync { now: t0 + 500_000_000 }), Ok(None)));
    assert_eq!(
        m.store
            .read()
            .expect("lock")
            .get("/t", GetOptions::default(), crate::entry::from_nanos(t0))
            .map(|e| e.node.value.clone())
            .ok()
            .flatten()
            .as_deref(),
        Some("v")
    );
    assert!(matches!(m.apply(&LogEntry::Sync { now: t0 + 2_000_000_000 }), Ok(None)));
    let after = m.store.read().expect("lock").get(
        "/t",
        GetOptions::default(),
        crate::entry::from_nanos(t0),
    );
    assert_eq!(after.map_err(|e| e.code).map(|_| ()), Err(ErrorCode::KeyNotFound));

    let post = |v: &str| LogEntry::Post {
        key: "/q".into(),
        value: v.into(),
        dir: false,
        expiration: None,
        now: now(),
    };
    let a = m.apply(&post("a")).expect("ok").expect("event");
    let b = m.apply(&post("b")).expect("ok").expect("event");
    assert_eq!(a.action, Action::Create);
    assert!(a.node.key < b.node.key, "{} < {}", a.node.key, b.node.key);
    assert!(
        matches!(m.sm.apply(99, 1, b"not a command"), Ok(None)),
        "undecodable entries are skipped"
    );
}
