//! The one place that runs shell commands: `/bin/sh -c CMD`, output captured, with a timeout.
//!
//! The command runs in its own process group so that a timeout kills everything it started,
//! not only the shell; standard output and standard error share one pipe, like Go's
//! `CombinedOutput`, so the output keeps its order.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;

use crate::error::CommandError;

/// What a command printed and how it ended.
#[derive(Debug)]
pub struct CommandOutput {
    /// Standard output and standard error, interleaved.
    pub output: Vec<u8>,
    /// `Ok` for exit status 0.
    pub result: Result<(), CommandError>,
}

/// Runs `cmd` with `/bin/sh -c` in the current directory and environment, killing its
/// process group after `timeout`.
pub async fn run_command(cmd: &str, timeout: Duration) -> CommandOutput {
    let fail = |e: CommandError| CommandOutput { output: Vec::new(), result: Err(e) };
    let (reader, writer) = match std::io::pipe() {
        Ok(p) => p,
        Err(e) => return fail(CommandError::Spawn(e)),
    };
    let writer2 = match writer.try_clone() {
        Ok(w) => w,
        Err(e) => return fail(CommandError::Spawn(e)),
    };
    let mut command = tokio::process::Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::from(writer2))
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => return fail(CommandError::Spawn(e)),
    };
    // The pipe's write ends now live only in the child (the Command held the last copies).
    drop(command);
    let pid = child.id();
    let reader = match tokio::net::unix::pipe::Receiver::from_owned_fd(reader.into()) {
        Ok(r) => r,
        Err(e) => return fail(CommandError::Spawn(e)),
    };
    let output = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = output.clone();
    let reader_task = tokio::spawn(async move {
        let mut reader = reader;
        let mut buf = [0u8; 8192];
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => sink
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend_from_slice(&buf[..n]),
            }
        }
    });
    let waited = tokio::time::timeout(timeout, child.wait()).await;
    // A daemon started by the command may keep the pipe open: stop reading soon after the
    // shell itself is gone.
    let _ = tokio::time::timeout(Duration::from_millis(200), reader_task).await;
    let output =
        std::mem::take(&mut *output.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    match waited {
        Ok(Ok(status)) => {
            use std::os::unix::process::ExitStatusExt;
            let result = match (status.code(), status.signal()) {
                (Some(0), _) => Ok(()),
                (Some(code), _) => Err(CommandError::Exit(code)),
                (None, Some(sig)) => Err(CommandError::Signal(sig)),
                (None, None) => Err(CommandError::Exit(-1)),
            };
            CommandOutput { output, result }
        }
        Ok(Err(e)) => CommandOutput { output, result: Err(CommandError::Spawn(e)) },
        Err(_) => {
            if let Some(pid) = pid {
                kill_group(pid);
            }
            let _ = child.kill().await;
            CommandOutput { output, result: Err(CommandError::Timeout(timeout)) }
        }
    }
}

/// Sends `SIGKILL` to process group `pid` (`killpg(2)` through rustix: the crate forbids
/// `unsafe`).
fn kill_group(pid: u32) {
    use rustix::process::{kill_process_group, Pid, Signal};
    if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        let _ = kill_process_group(pid, Signal::KILL);
    }
}
