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

#[test]
fn records_of_every_kind_and_of_several_megabytes_round_trip() {
    use raft::eraftpb::{Snapshot, SnapshotMetadata};
    // A snapshot file holds one record as large as the store: megabytes are normal.
    let snap = Snapshot {
        data: vec![0xab; 3 << 20],
        metadata: Some(SnapshotMetadata { index: 7, term: 2, ..Default::default() }),
    };
    let mut buf = Vec::new();
    encode(&mut buf, Kind::Snapshot, &snap);
    encode(&mut buf, Kind::SnapshotReset, snap.get_metadata());
    let Read::Record { kind, next, .. } = read(&buf, 0) else { panic!("a 3 MiB record reads") };
    assert_eq!(kind, Kind::Snapshot);
    let Read::Record { kind, .. } = read(&buf, next) else { panic!("second record") };
    assert_eq!(kind, Kind::SnapshotReset);
}

#[test]
fn a_bit_flip_in_a_large_last_record_is_corruption_wherever_the_record_ends() {
    let encoded = |n: usize| {
        let mut buf = Vec::new();
        let e = Entry { index: 1, term: 1, data: vec![7; n], ..Default::default() };
        encode(&mut buf, Kind::Entry, &e);
        buf
    };
    // Records spanning several sectors, with non-zero bytes everywhere, ending at the end of the
    // data inside a sector or exactly on a sector boundary: a flipped bit is never a torn write.
    let on_boundary =
        (1990..2048).find(|n| encoded(*n).len() == 2048).expect("a size that ends on 2048");
    for n in [1500, on_boundary] {
        let mut buf = encoded(n);
        let last = buf.len() - 1;
        buf[last] ^= 1;
        check_damaged(&buf, 0, "checksum mismatch", false);
    }
}

#[test]
fn only_zeroed_sectors_inside_the_record_count() {
    use super::has_zeroed_sector;
    // Zeros before the record's start (another record's bytes, here zeros) do not make it torn.
    let mut data = vec![0u8; 100];
    data.extend(std::iter::repeat_n(9u8, 900));
    assert!(!has_zeroed_sector(&data, 100, data.len()));
    let mut data = vec![0u8; 512];
    data.extend(std::iter::repeat_n(9u8, 1100));
    assert!(!has_zeroed_sector(&data, 600, data.len()), "a whole zero sector before the start");
    // A zeroed sector on a boundary inside the record does.
    let mut data = vec![9u8; 1600];
    data[512..1024].fill(0);
    assert!(has_zeroed_sector(&data, 100, data.len()));
    // Zeros that straddle a boundary without covering a sector from it do not.
    let mut data = vec![9u8; 1600];
    data[400..900].fill(0);
    assert!(!has_zeroed_sector(&data, 100, data.len()));
}

#[test]
fn an_eight_byte_tail_with_a_zero_length_and_a_checksum_is_corruption() {
    let (mut buf, _) = two_records();
    let end = buf.len();
    // A length of 0 with a non-zero checksum after it: written bytes, not a zero-filled tail.
    buf.extend_from_slice(&[0, 0, 0, 0, 1, 2, 3, 4]);
    check_damaged(&buf, end, "zero-length record", false);
}
