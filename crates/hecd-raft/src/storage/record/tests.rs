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
fn a_bad_checksum_in_the_middle_or_in_written_bytes_at_the_end_is_corruption() {
    let (mut buf, second) = two_records();
    buf[HEADER + 3] ^= 1;
    check_damaged(&buf, 0, "checksum mismatch", false);
    // A flipped bit in the last record: its bytes were written (and maybe acknowledged), so this is
    // bit rot, not a torn write.
    let (mut buf, _) = two_records();
    let last = buf.len() - 1;
    buf[last] ^= 1;
    check_damaged(&buf, second, "checksum mismatch", false);
}

#[test]
fn a_last_record_with_a_zeroed_sector_is_torn() {
    let big = Entry { index: 1, term: 1, data: vec![7; 1500], ..Default::default() };
    let mut buf = Vec::new();
    encode(&mut buf, Kind::Entry, &big);
    // The sector 512..1024 never reached the disk.
    buf[512..1024].fill(0);
    check_damaged(&buf, 0, "checksum mismatch", true);
    // The partial last sector, from its boundary to the end of the data, reads back as zeros.
    let mut buf = Vec::new();
    encode(&mut buf, Kind::Entry, &big);
    let n = buf.len();
    buf[1024..n].fill(0);
    check_damaged(&buf, 0, "checksum mismatch", true);
    // Zeros that do not cover a sector from its boundary are not a torn write.
    let mut buf = Vec::new();
    encode(&mut buf, Kind::Entry, &big);
    buf[600..1100].fill(0);
    check_damaged(&buf, 0, "checksum mismatch", false);
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
