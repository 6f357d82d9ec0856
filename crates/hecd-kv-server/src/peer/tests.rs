//! Framing of peer message batches.

use bytes::{BufMut, Bytes, BytesMut};

use super::transport::decode_batch;

#[test]
fn batches_round_trip_and_reject_truncation() {
    let mut b = BytesMut::new();
    for m in [&b"one"[..], b"", b"three"] {
        b.put_u32(m.len() as u32);
        b.put_slice(m);
    }
    let got = decode_batch(b.clone().freeze()).expect("valid");
    assert_eq!(got, vec![Bytes::from_static(b"one"), Bytes::new(), Bytes::from_static(b"three")]);
    assert_eq!(decode_batch(b.freeze().slice(..6)), None);
    assert_eq!(decode_batch(Bytes::new()), Some(vec![]));
}
