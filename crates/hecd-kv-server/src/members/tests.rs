//! Unit tests for the membership set.

use super::*;

#[track_caller]
fn check(m: &Membership, peers: &[(u64, &str)], removed: &[u64]) {
    let set = m.get();
    let got: Vec<(u64, String)> = set.peers.iter().map(|(id, u)| (*id, join_urls(u))).collect();
    let want: Vec<(u64, String)> = peers.iter().map(|(id, u)| (*id, (*u).to_owned())).collect();
    assert_eq!(got, want);
    assert_eq!(set.removed.iter().copied().collect::<Vec<_>>(), removed);
}

#[test]
fn add_remove_readd_update() {
    let m = Membership::new(1, &[(1, "http://a:1".into()), (2, "http://b:2".into())]);
    check(&m, &[(1, "http://a:1"), (2, "http://b:2")], &[]);
    m.apply(&MemberChange::Add { id: 3, url: "http://c:3,http://c:4".into() });
    check(&m, &[(1, "http://a:1"), (2, "http://b:2"), (3, "http://c:3,http://c:4")], &[]);
    m.apply(&MemberChange::Remove { id: 2 });
    check(&m, &[(1, "http://a:1"), (3, "http://c:3,http://c:4")], &[2]);
    assert!(m.is_removed(2));
    m.apply(&MemberChange::Add { id: 2, url: "http://b:2".into() });
    check(&m, &[(1, "http://a:1"), (2, "http://b:2"), (3, "http://c:3,http://c:4")], &[]);
    m.update(3, vec!["http://c:5".into()]);
    m.update(9, vec!["http://z:9".into()]);
    check(&m, &[(1, "http://a:1"), (2, "http://b:2"), (3, "http://c:5")], &[]);
}

#[test]
fn removing_self_is_signalled() {
    let m = Membership::new(1, &[(1, "http://a:1".into()), (2, "http://b:2".into())]);
    let rx = m.removed();
    assert!(!*rx.borrow());
    m.apply(&MemberChange::Remove { id: 1 });
    assert!(*rx.borrow());
    let again = Membership::new(1, &[]);
    again.restore(MemberSet { removed: [1].into(), ..Default::default() });
    assert!(*again.removed().borrow());
}
