//! The `hecd-register` binary (placeholder until its issue lands).

fn main() -> std::process::ExitCode {
    eprintln!("hecd-register: not built yet");
    std::process::ExitCode::from(2)
}
