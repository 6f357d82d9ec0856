//! Framing: round trips, torn tails and mid-file damage.

use raft::eraftpb::{Entry, HardState};

use super::{encode, read, Kind, Read, HEADER};

fn entry(index: u64) -> Entry {
    Entry { index, term: 1, data: vec![7; 10], ..Default::default() }
}

fn two_records() -> (Vec<u8>, usize) {
    let mut buf = Vec::new();
    encode(&mut buf, Kind::Entry, &entry(1));
    let second = buf.len();
    encode(&mut buf, Kind::HardState, &HardState { term: 1, vote: 1, commit: 1 });
    (buf, second)
}

#[track_caller]
fn check_damaged(data: &[u8], off: usize, want_reason: &str, want_reaches_end: bool) {
    match read(data, off) {
        Read::Damaged { reason, reaches_end } => {
            assert_eq!((reason, reaches_end), (want_reason, want_reaches_end));
        }
        other => panic!("expected damage, got {other:?}"),
    }
}

#[test]
fn records_round_trip() {
    let (buf, second) = two_records();
    let Read::Record { kind, next, .. } = read(&buf, 0) else { panic!("first record") };
    assert_eq!((kind, next), (Kind::Entry, second));
    let Read::Record { kind, next, .. } = read(&buf, second) else { panic!("second record") };
    assert_eq!((kind, next), (Kind::HardState, buf.len()));
    assert!(matches!(read(&buf, buf.len()), Read::End));
}

#[test]
fn a_cut_record_is_torn() {
    let (buf, second) = two_records();
    check_damaged(&buf[..second + 3], second, "truncated record header", true);
    check_damaged(&buf[..buf.len() - 1], second, "record extends past the end of the file", true);
}

#[test]
fn a_bad_checksum_at_the_end_is_torn_but_in_the_middle_is_corruption() {
    let (mut buf, second) = two_records();
    buf[HEADER + 3] ^= 1;
    check_damaged(&buf, 0, "checksum mismatch", false);
    let (mut buf, second2) = two_records();
    assert_eq!(second, second2);
    let last = buf.len() - 1;
    buf[last] ^= 1;
    check_damaged(&buf, second, "checksum mismatch", true);
}

#[test]
fn a_zero_filled_tail_is_torn_but_zeros_before_data_are_not() {
    let (mut buf, _) = two_records();
    let end = buf.len();
    buf.extend_from_slice(&[0; 32]);
    check_damaged(&buf, end, "zero-length record", true);
    buf.push(1);
    check_damaged(&buf, end, "zero-length record", false);
}
