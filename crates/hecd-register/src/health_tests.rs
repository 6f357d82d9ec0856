//! Tests of the health checks against listeners made in the test.

use super::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[test]
fn urls() {
    assert_eq!(
        parse_http_url("http://10.0.0.1:8080/health").unwrap(),
        ("10.0.0.1:8080".into(), "/health".into())
    );
    assert_eq!(parse_http_url("http://web").unwrap(), ("web:80".into(), "/".into()));
    assert!(parse_http_url("https://web").is_err());
    assert!(parse_http_url("http:///x").is_err());
}

async fn serve_once(listener: &TcpListener, status: &str) {
    let (mut s, _) = listener.accept().await.unwrap();
    let mut buf = [0u8; 512];
    let _ = s.read(&mut buf).await.unwrap();
    s.write_all(format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").as_bytes())
        .await
        .unwrap();
}

#[tokio::test]
async fn http_check_follows_status() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/health", l.local_addr().unwrap());
    let check = Check::Http(url);
    let (ok, ()) = tokio::join!(check.passes(Duration::from_secs(5)), serve_once(&l, "200 OK"));
    assert!(ok);
    let (ok, ()) = tokio::join!(
        check.passes(Duration::from_secs(5)),
        serve_once(&l, "503 Service Unavailable")
    );
    assert!(!ok);
}

#[tokio::test]
async fn tcp_check_follows_listener() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    assert!(Check::Tcp(addr.clone()).passes(Duration::from_secs(5)).await);
    drop(l);
    assert!(!Check::Tcp(addr).passes(Duration::from_secs(5)).await);
    assert!(Check::None.passes(Duration::from_secs(1)).await);
}
