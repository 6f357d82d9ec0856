//! JSON encoding of store answers in etcd's wire format, and the one place that maps
//! an [`ErrorCode`] to an HTTP status.
//!
//! Events are serialized straight from the store's views (no intermediate copy);
//! `wire/tests.rs` checks the bytes decode to the same `hecd_v2api` types.

use hecd_store::{Action, Event, NodeView};
use hecd_v2api::{time::format_rfc3339_nano, ErrorBody, ErrorCode};
use hyper::StatusCode;
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};

/// The HTTP status etcd uses for an error code.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::KeyNotFound => StatusCode::NOT_FOUND,
        ErrorCode::TestFailed | ErrorCode::NodeExist => StatusCode::PRECONDITION_FAILED,
        ErrorCode::NotFile | ErrorCode::DirNotEmpty => StatusCode::FORBIDDEN,
        ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::RaftInternal | ErrorCode::LeaderElect => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

struct NodeJson<'a>(&'a NodeView);

struct Nodes<'a>(&'a [NodeView]);

impl Serialize for Nodes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for n in self.0 {
            seq.serialize_element(&NodeJson(n))?;
        }
        seq.end()
    }
}

impl Serialize for NodeJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = self.0;
        let mut st = s.serialize_struct("Node", 8)?;
        if !n.key.is_empty() {
            st.serialize_field("key", &n.key)?;
        }
        if let Some(v) = &n.value {
            st.serialize_field("value", v)?;
        }
        if n.dir {
            st.serialize_field("dir", &true)?;
        }
        if let Some(t) = n.expiration {
            st.serialize_field("expiration", &format_rfc3339_nano(t))?;
        }
        if n.ttl != 0 {
            st.serialize_field("ttl", &n.ttl)?;
        }
        if let Some(children) = &n.nodes {
            if !children.is_empty() {
                st.serialize_field("nodes", &Nodes(children))?;
            }
        }
        if n.modified_index != 0 {
            st.serialize_field("modifiedIndex", &n.modified_index)?;
        }
        if n.created_index != 0 {
            st.serialize_field("createdIndex", &n.created_index)?;
        }
        st.end()
    }
}

struct EventJson<'a> {
    event: &'a Event,
    with_nodes: bool,
}

impl Serialize for EventJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.event;
        let mut st = s.serialize_struct("Response", 3)?;
        st.serialize_field("action", e.action.as_str())?;
        if self.with_nodes {
            st.serialize_field("node", &NodeJson(&e.node))?;
            if let Some(p) = &e.prev_node {
                st.serialize_field("prevNode", &NodeJson(p))?;
            }
        }
        st.end()
    }
}

/// An event as etcd writes it (`json.Encoder`: one line with a trailing newline).
/// With `no_value_on_success`, writes keep only the action.
pub fn event_json(event: &Event, no_value_on_success: bool) -> Vec<u8> {
    let strip = no_value_on_success
        && matches!(
            event.action,
            Action::Set | Action::Create | Action::Update | Action::CompareAndSwap
        );
    go_json(&EventJson { event, with_nodes: !strip }, 256)
}

/// A v2 error body with its trailing newline.
pub fn error_json(code: ErrorCode, cause: &str, index: u64) -> Vec<u8> {
    go_json(&ErrorBody::new(code, cause, index), 128)
}

/// An event or error (whose strings come from decoded requests, see [`crate::form::MARK`]) as
/// Go's `json.Encoder` writes it, with its trailing newline.
fn go_json(v: &impl Serialize, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(capacity);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter { marks: true });
    // Writing to a Vec cannot fail and every field serializes.
    let _ = v.serialize(&mut ser);
    out.push(b'\n');
    out
}

/// Any other answer (members, auth, stats) as Go's `json.Marshal` writes it: HTML characters
/// escaped; its strings come from JSON bodies, so they carry no marked bytes.
pub(crate) fn go_json_plain(v: &impl Serialize) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter { marks: false });
    let _ = v.serialize(&mut ser);
    out
}

/// The string escapes of Go 1.19's `encoding/json` (etcd 3.4.23's build) where they differ
/// from serde_json's: HTML characters and U+2028/U+2029 as `\u` escapes, backspace and form
/// feed as `\u0008`/`\u000c`, and a byte that is not UTF-8 (kept in keys and values, see
/// [`crate::form::MARK`]) as `\ufffd`.
struct GoFormatter {
    /// Whether [`crate::form::MARK`] pairs stand for bytes (strings from decoded requests).
    marks: bool,
}

impl serde_json::ser::Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // Most strings hold none of the characters below (their UTF-8 starts with one of
        // these bytes: `<`, `>`, `&`, U+2028/9's 0xE2, MARK's and the byte characters' 0xF4).
        if !fragment.bytes().any(|b| matches!(b, b'<' | b'>' | b'&' | 0xE2 | 0xF4)) {
            return w.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        let mut chars = fragment.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let escape = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                crate::form::MARK if self.marks => {
                    // Marks come in pairs inside one fragment (no escaped character between).
                    let next = chars.peek().map(|&(_, n)| n);
                    let out = match next {
                        Some(crate::form::MARK) => "\u{10FFFD}",
                        Some(n) if crate::form::marked_byte(n).is_some() => "\\ufffd",
                        _ => continue,
                    };
                    w.write_all(&fragment.as_bytes()[start..i])?;
                    w.write_all(out.as_bytes())?;
                    let (j, n) = chars.next().unwrap_or((i, c));
                    start = j + n.len_utf8();
                    continue;
                }
                _ => continue,
            };
            w.write_all(&fragment.as_bytes()[start..i])?;
            w.write_all(escape.as_bytes())?;
            start = i + c.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[start..])
    }

    fn write_char_escape<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        escape: serde_json::ser::CharEscape,
    ) -> std::io::Result<()> {
        use serde_json::ser::CharEscape;
        let s: &[u8] = match escape {
            CharEscape::Backspace => b"\\u0008",
            CharEscape::FormFeed => b"\\u000c",
            other => return serde_json::ser::CompactFormatter.write_char_escape(w, other),
        };
        w.write_all(s)
    }
}

/// Whether etcd answers an event with 201 Created.
pub fn is_created(e: &Event) -> bool {
    e.action == Action::Create || (e.action == Action::Set && e.prev_node.is_none())
}

#[cfg(test)]
mod tests;
