//! The `hecd-confd` binary (placeholder until its issue lands).

fn main() -> std::process::ExitCode {
    eprintln!("hecd-confd: not built yet");
    std::process::ExitCode::from(2)
}
