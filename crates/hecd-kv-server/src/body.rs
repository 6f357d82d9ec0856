//! The response body: a complete buffer, or a watch that streams events as they come.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};

use bytes::Bytes;
use hecd_store::{Store, Watcher};
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

/// Streams the events of one watcher; unregisters the watcher when dropped.
#[derive(Debug)]
pub struct WatchBody {
    watcher: Watcher,
    store: Arc<RwLock<Store>>,
    stream: bool,
    done: bool,
}

impl WatchBody {
    /// A body fed by `watcher`.
    pub fn new(watcher: Watcher, store: Arc<RwLock<Store>>, stream: bool) -> Self {
        WatchBody { watcher, store, stream, done: false }
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
                        Poll::Ready(Some(Ok(Frame::data(Bytes::from(event_json(&ev, false))))))
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
