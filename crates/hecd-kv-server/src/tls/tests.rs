//! The subject Common Name reader, on certificates built byte by byte.

use super::*;

/// One DER element (lengths above 127 in the long form).
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}

/// A Name of one RDN per attribute: (OID bytes, value tag, value).
fn name(attrs: &[(&[u8], u8, &[u8])]) -> Vec<u8> {
    let rdns: Vec<u8> = attrs
        .iter()
        .flat_map(|(oid, tag, v)| tlv(0x31, &tlv(0x30, &[tlv(0x06, oid), tlv(*tag, v)].concat())))
        .collect();
    tlv(0x30, &rdns)
}

/// The shape of an X.509 certificate around `subject` (nothing else is read).
fn cert(subject: &[u8], with_version: bool) -> Vec<u8> {
    let issuer = name(&[(&[0x55, 4, 3], 0x0c, b"issuer CA")]);
    let mut tbs = Vec::new();
    if with_version {
        tbs.extend(tlv(0xa0, &tlv(0x02, &[2])));
    }
    tbs.extend(tlv(0x02, &[1]));
    tbs.extend(tlv(0x30, &tlv(0x06, &[0x2a, 0x86, 0x48])));
    tbs.extend(issuer);
    tbs.extend(tlv(0x30, &[tlv(0x17, b"250101000000Z"), tlv(0x17, b"350101000000Z")].concat()));
    tbs.extend_from_slice(subject);
    tbs.extend(tlv(0x30, &[0; 200]));
    tlv(0x30, &[tlv(0x30, &tbs), tlv(0x30, &[]), tlv(0x03, &[0])].concat())
}

const CN: &[u8] = &[0x55, 4, 3];
const O: &[u8] = &[0x55, 4, 10];

#[test]
fn the_subject_common_name_is_read_not_the_issuers() {
    let subject = name(&[(O, 0x13, b"org"), (CN, 0x0c, b"alice")]);
    assert_eq!(subject_common_name(&cert(&subject, true)).as_deref(), Some("alice"));
    assert_eq!(subject_common_name(&cert(&subject, false)).as_deref(), Some("alice"));
}

#[test]
fn the_last_common_name_wins_as_in_go() {
    let subject = name(&[(CN, 0x13, b"first"), (CN, 0x16, b"last")]);
    assert_eq!(subject_common_name(&cert(&subject, true)).as_deref(), Some("last"));
}

#[test]
fn bmp_strings_are_decoded_and_missing_names_are_none() {
    let bmp: Vec<u8> = "bø".encode_utf16().flat_map(u16::to_be_bytes).collect();
    let subject = name(&[(CN, 0x1e, &bmp)]);
    assert_eq!(subject_common_name(&cert(&subject, true)).as_deref(), Some("bø"));
    assert_eq!(subject_common_name(&cert(&name(&[(O, 0x13, b"org")]), true)), None);
}

#[test]
fn truncated_or_garbage_input_is_none() {
    let full = cert(&name(&[(CN, 0x0c, b"alice")]), true);
    for cut in [0, 1, 2, 10, full.len() / 2, full.len() - 1] {
        assert_eq!(subject_common_name(&full[..cut]), None, "cut at {cut}");
    }
    assert_eq!(subject_common_name(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
    let chain = [CertificateDer::from(full), CertificateDer::from(vec![1, 2, 3])];
    assert_eq!(chain_common_names(&chain), vec!["alice".to_owned()]);
}
