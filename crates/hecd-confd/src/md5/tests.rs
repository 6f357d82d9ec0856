//! RFC 1321 test vectors.

use super::hex_digest;

#[test]
fn rfc_vectors() {
    assert_eq!(hex_digest(b""), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(hex_digest(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(
        hex_digest(
            b"12345678901234567890123456789012345678901234567890123456789012345678901234567890"
        ),
        "57edf4a22be3c955ac49da2e2107b67a"
    );
    // What confd logged for a two-server file in the recorded scenarios.
    assert_eq!(
        hex_digest(b"server a 10.0.0.1:80\nserver b 10.0.0.2:80\n"),
        "61d3fb4e22448e6cf116944d4814ba6a"
    );
}
