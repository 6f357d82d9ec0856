//! The response body: a complete buffer, or a watch that streams events as they come.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};

use bytes::Bytes;
use hecd_store::{Event, Store, Watcher};
use hyper::body::{Frame, SizeHint};

use crate::wire::event_json;

/// A response body.
#[derive(Debug)]
pub enum Body {
    /// A complete body (sent with `Content-Length`).
    Full(Option<Bytes>),
    /// A watch (sent chunked): one event, or every event with `stream=true`.
    Watch(WatchBody),
}

impl Body {
    /// A complete body.
    pub fn full(b: impl Into<Bytes>) -> Self {
        Body::Full(Some(b.into()))
    }

    /// An empty body.
    pub fn empty() -> Self {
        Body::Full(None)
    }
}

/// The JSON of the event most recently sent to a watcher: every watcher woken by one write
/// sends the same bytes, encoded once (the store hands each of them the same `Arc<Event>`).
#[derive(Debug, Default)]
pub struct EncodedEvent {
    last: Mutex<Option<(Arc<Event>, Bytes)>>,
}

impl EncodedEvent {
    /// The event's watch-response JSON.
    pub fn get(&self, ev: &Arc<Event>) -> Bytes {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        match &*last {
            Some((cached, bytes)) if Arc::ptr_eq(cached, ev) => bytes.clone(),
            _ => {
                let bytes = Bytes::from(event_json(ev, false));
                *last = Some((Arc::clone(ev), bytes.clone()));
                bytes
            }
        }
    }
}

/// Streams the events of one watcher; unregisters the watcher when dropped.
#[derive(Debug)]
pub struct WatchBody {
    watcher: Watcher,
    store: Arc<RwLock<Store>>,
    encoded: Arc<EncodedEvent>,
    stream: bool,
    done: bool,
}

impl WatchBody {
    /// A body fed by `watcher`, its events encoded through `encoded`.
    pub fn new(
        watcher: Watcher,
        store: Arc<RwLock<Store>>,
        encoded: Arc<EncodedEvent>,
        stream: bool,
    ) -> Self {
        WatchBody { watcher, store, encoded, stream, done: false }
    }
}

impl Drop for WatchBody {
    fn drop(&mut self) {
        if let Ok(store) = self.store.read() {
            store.unwatch(&self.watcher);
        }
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Body::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Body::Watch(w) => {
                if w.done {
                    return Poll::Ready(None);
                }
                match w.watcher.events.poll_recv(cx) {
                    Poll::Ready(Some(ev)) => {
                        if !w.stream {
                            w.done = true;
                        }
                        Poll::Ready(Some(Ok(Frame::data(w.encoded.get(&ev)))))
                    }
                    Poll::Ready(None) => {
                        w.done = true;
                        Poll::Ready(None)
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Full(b) => b.is_none(),
            Body::Watch(w) => w.done,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Body::Full(None) => SizeHint::with_exact(0),
            Body::Watch(_) => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use hecd_store::{Store, WriteOptions};

    use super::EncodedEvent;
    use crate::wire::event_json;

    /// Each event gets its own JSON, whatever was encoded before it, and the same event twice gets
    /// the same bytes.
    #[test]
    fn the_shared_encoding_follows_the_event_it_is_asked_for() {
        let now = SystemTime::now();
        let mut s = Store::new(10);
        let first = s.write("/a", WriteOptions::value("1"), now).unwrap();
        let second = s.write("/a", WriteOptions::value("2"), now).unwrap();
        let enc = EncodedEvent::default();
        assert_eq!(enc.get(&first)[..], event_json(&first, false)[..]);
        assert_eq!(enc.get(&first)[..], event_json(&first, false)[..]);
        assert_eq!(enc.get(&second)[..], event_json(&second, false)[..]);
        assert_eq!(enc.get(&first)[..], event_json(&first, false)[..]);
        assert_ne!(event_json(&first, false), event_json(&second, false));
    }
}
