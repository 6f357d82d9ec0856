//! Applying commands and snapshotting the state machine.

use hecd_raft::StateMachine;

use super::*;

fn machine() -> (KvStateMachine, Arc<RwLock<Store>>, MemberAttributes) {
    let store = Arc::new(RwLock::new(Store::new(100)));
    let members = MemberAttributes::default();
    (KvStateMachine::new(store.clone(), members.clone()), store, members)
}

#[test]
fn publish_records_member_attributes_and_survives_a_snapshot() {
    let (mut sm, _, members) = machine();
    let cmd = LogEntry::Publish { id: 7, name: "m".into(), client_urls: vec!["http://a:1".into()] };
    assert!(matches!(sm.apply(1, 1, &cmd.encode()), Ok(None)));
    assert_eq!(members.read().expect("lock").get(&7).map(|m| m.0.clone()), Some("m".to_owned()));
    let put = LogEntry::Put {
        key: "/k".into(),
        value: "v".into(),
        dir: false,
        expiration: None,
        refresh: false,
        prev_exist: None,
        prev_value: None,
        prev_index: 0,
        now: 0,
    };
    assert!(matches!(sm.apply(2, 1, &put.encode()), Ok(Some(_))));
    let snap = sm.snapshot();
    let (mut other, store, members) = machine();
    other.restore(2, 1, &snap).expect("restore");
    assert_eq!(store.read().expect("lock").index(), 1);
    assert!(members.read().expect("lock").contains_key(&7));
    assert!(other.restore(2, 1, b"garbage").is_err());
}
