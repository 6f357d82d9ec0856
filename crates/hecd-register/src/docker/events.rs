//! Docker's `/events` stream: one JSON object per line; the container events that can change
//! a container's registrations.

use serde_json::Value;

/// One container event that may change the container's registrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The container's full id.
    pub id: String,
    /// What happened.
    pub action: Action,
    /// The signal of a `kill` event (`15`, `9`, or a name).
    pub signal: Option<String>,
}

impl Event {
    /// A `kill` with SIGTERM or SIGKILL: the container is being stopped (`docker stop`,
    /// `docker kill`, `docker restart`), so it is deregistered before it goes, and the load
    /// balancer stops sending it new requests while it shuts down.
    pub fn is_stopping(&self) -> bool {
        self.action == Action::Kill
            && matches!(
                self.signal.as_deref(),
                Some("15" | "9" | "SIGTERM" | "SIGKILL" | "TERM" | "KILL")
            )
    }
}

/// The container actions that are followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `start`.
    Start,
    /// `die` (the process ended).
    Die,
    /// `stop`.
    Stop,
    /// `kill` (a signal was sent; `die` follows when it ends the process).
    Kill,
    /// `pause`.
    Pause,
    /// `unpause`.
    Unpause,
    /// `health_status: healthy|unhealthy`.
    Health,
    /// `destroy` (removed).
    Destroy,
}

/// Parses one line of the events stream. `None` for anything that is not a followed container
/// event (images, networks, `exec_*`, `create`, `attach`, ...).
pub fn parse_event(line: &[u8]) -> Option<Event> {
    let v: Value = serde_json::from_slice(line).ok()?;
    if v.get("Type").and_then(Value::as_str) != Some("container") {
        return None;
    }
    let action = v.get("Action").and_then(Value::as_str)?;
    let action = match action {
        "start" => Action::Start,
        "die" => Action::Die,
        "stop" => Action::Stop,
        "kill" => Action::Kill,
        "pause" => Action::Pause,
        "unpause" => Action::Unpause,
        "destroy" => Action::Destroy,
        a if a.starts_with("health_status") => Action::Health,
        _ => return None,
    };
    let id = v.pointer("/Actor/ID").or_else(|| v.get("id")).and_then(Value::as_str)?;
    let signal = v.pointer("/Actor/Attributes/signal").and_then(Value::as_str).map(str::to_owned);
    Some(Event { id: id.to_owned(), action, signal })
}

/// Splits a byte stream into lines: feed chunks, take whole lines.
#[derive(Debug, Default)]
pub struct LineBuffer {
    buf: Vec<u8>,
}

impl LineBuffer {
    /// Appends a chunk.
    pub fn push(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    /// The next whole line (without its newline), if one is buffered.
    pub fn next_line(&mut self) -> Option<Vec<u8>> {
        let end = self.buf.iter().position(|b| *b == b'\n')?;
        let mut line: Vec<u8> = self.buf.drain(..=end).collect();
        line.pop();
        Some(line)
    }
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
