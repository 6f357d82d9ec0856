//! Config validation and derived values.

use super::Config;
use crate::Error;

#[track_caller]
fn check_invalid(cfg: Config, reason: &str) {
    match cfg.validate() {
        Err(Error::InvalidConfig { reason: got }) => assert_eq!(got, reason),
        other => panic!("expected InvalidConfig({reason}), got {other:?}"),
    }
}

#[test]
fn defaults_are_valid() {
    Config::new(1).validate().unwrap();
    let cfg = Config::new(2).with_peers(vec![(1, "a".into()), (2, "b".into())]);
    cfg.validate().unwrap();
    assert_eq!(cfg.initial_voters(), vec![1, 2]);
    assert_eq!(Config::new(5).initial_voters(), vec![5]);
}

#[test]
fn bad_configs_are_rejected() {
    check_invalid(Config::new(0), "member id must be non-zero");
    check_invalid(
        Config::new(3).with_peers(vec![(1, "a".into())]),
        "peers must include this member",
    );
    let mut cfg = Config::new(1);
    cfg.election_tick = 1;
    check_invalid(cfg, "election_tick must be greater than heartbeat_tick");
    check_invalid(
        Config::new(1).with_tick_interval(std::time::Duration::ZERO),
        "tick_interval must be positive",
    );
}

#[test]
fn the_cluster_id_depends_on_peers_and_token() {
    let a = Config::new(1).with_peers(vec![(1, "http://a".into()), (2, "http://b".into())]);
    let b = Config::new(2).with_peers(vec![(2, "http://b".into()), (1, "http://a".into())]);
    assert_eq!(a.cluster_id(), b.cluster_id(), "every member derives the same id");
    let mut c = a.clone();
    c.cluster_token = "other".into();
    assert_ne!(a.cluster_id(), c.cluster_id());
}

#[test]
fn clusters_whose_tokens_share_a_checksum_still_get_different_ids() {
    // crc32("token-29685295\n1=") == crc32("token-32060020\n1=") == 0x2bab66e0: the id's other
    // word (the checksum of the reversed text) must tell the two clusters apart.
    let id = |token: &str| {
        let mut cfg = Config::new(1);
        cfg.cluster_token = token.into();
        cfg.cluster_id()
    };
    assert_ne!(id("token-29685295"), id("token-32060020"));
}
