//! The `hecd-kv` binary (placeholder until its issue lands).

fn main() -> std::process::ExitCode {
    eprintln!("hecd-kv: not built yet");
    std::process::ExitCode::from(2)
}
