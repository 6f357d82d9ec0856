//! What a cycle logs when a resource fails, in a process of its own: the subscriber that captures
//! it is global.

// Tests may unwrap.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use hecd_client::Client;
use hecd_confd::cycle::{CycleOptions, Processor};
use hecd_confd::metrics::Metrics;
use hecd_confd::Resource;

/// A failed reload logs the command's output, quoted, and an error line naming the resource
/// file, both at level ERROR.
#[tokio::test]
async fn a_failed_reload_logs_its_output_and_the_resource() {
    let logs = hecd_testkit::logs::Logs::capture(tracing::Level::INFO);

    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("app.tmpl");
    std::fs::write(&src, "app\n").unwrap();
    let r = Resource {
        file: dir.path().join("app.toml"),
        src,
        dest: dir.path().join("app.conf"),
        prefix: "/".to_owned(),
        keys: Vec::new(),
        mode: None,
        uid: None,
        gid: None,
        check_cmd: None,
        reload_cmd: Some("echo 'no \"good\"'; exit 3".to_owned()),
        min_keys: 0,
        allow_empty: false,
        command_timeout: None,
        haproxy_socket: None,
        drain_timeout: hecd_confd::resource::DEFAULT_DRAIN_TIMEOUT,
    };
    let client = Client::builder().endpoints(["http://127.0.0.1:9"]).build().unwrap();
    let options =
        CycleOptions { command_timeout: Duration::from_secs(30), ..CycleOptions::default() };
    let report = Processor::new(client, options, Arc::new(Metrics::new()))
        .cycle(std::slice::from_ref(&r))
        .await;
    assert_eq!(report.failed, 1);
    let text = logs.text();
    let errors: Vec<&str> = text.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(errors.iter().any(|l| l.ends_with(r#""no \"good\"\n""#)), "{text}");
    let named = format!("(resource {})", r.file.display());
    assert!(errors.iter().any(|l| l.ends_with(&named)), "{text}");
}
