//! The WebSocket bridge without a network: client frames come from a channel, frames to the
//! client go into a channel, and the "MCP session" is an echo task on the other end of the pipe.

use std::time::Duration;

use actix_ws::{AggregatedMessage, CloseCode, Message, ProtocolError};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, PollSender};

use super::{End, Heartbeat, bridge, query_api_key, to_line, with_null_error_id};

const SLOW: Heartbeat = Heartbeat { interval: Duration::from_secs(3600), timeout: Duration::from_secs(7200) };

struct Harness {
    client: mpsc::Sender<Result<AggregatedMessage, ProtocolError>>,
    frames: mpsc::Receiver<Message>,
    /// Lines the fake session received.
    lines: mpsc::UnboundedReceiver<String>,
    shutdown: CancellationToken,
    bridge: JoinHandle<End>,
}

/// A bridge whose MCP session echoes every line it gets.
fn harness(heartbeat: Heartbeat) -> Harness {
    let (client, mut incoming) = mpsc::channel(16);
    let (sink, frames) = mpsc::channel(16);
    let (seen, lines) = mpsc::unbounded_channel();
    let (ours, theirs) = tokio::io::duplex(1024);
    tokio::spawn(async move {
        let (read, mut write) = tokio::io::split(theirs);
        let mut read = BufReader::new(read).lines();
        while let Ok(Some(line)) = read.next_line().await {
            let _ = seen.send(line.clone());
            if write.write_all(format!("{line}\n").as_bytes()).await.is_err() {
                return;
            }
        }
    });
    let shutdown = CancellationToken::new();
    let stream = futures_util::stream::poll_fn(move |cx| incoming.poll_recv(cx));
    let bridge = tokio::spawn(bridge(stream, PollSender::new(sink), ours, shutdown.clone(), heartbeat));
    Harness { client, frames, lines, shutdown, bridge }
}

impl Harness {
    async fn send(&self, message: AggregatedMessage) {
        self.client.send(Ok(message)).await.expect("bridge gone");
    }
    async fn text(&self, text: &str) {
        self.send(AggregatedMessage::Text(text.into())).await;
    }
    async fn frame(&mut self) -> Message {
        tokio::time::timeout(Duration::from_secs(5), self.frames.recv())
            .await
            .expect("no frame within 5 s")
            .expect("frame channel closed")
    }
    async fn text_frame(&mut self) -> Value {
        match self.frame().await {
            Message::Text(t) => serde_json::from_str(&t).expect("JSON frame"),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
    async fn close_code(&mut self) -> CloseCode {
        loop {
            match self.frame().await {
                Message::Close(Some(r)) => return r.code,
                Message::Ping(_) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }
    async fn end(&mut self) -> End {
        tokio::time::timeout(Duration::from_secs(5), &mut self.bridge).await.expect("bridge did not end").expect("join")
    }
}

#[test]
fn lines_are_single_line_json() {
    assert_eq!(to_line("{\"a\":\r\n 1}\n").unwrap(), b"{\"a\":   1}\n");
    let batch: Value = serde_json::from_str(&to_line(" [1,2]").unwrap_err()).unwrap();
    assert_eq!((batch["error"]["code"].as_i64(), batch.get("id")), (Some(-32600), Some(&Value::Null)));
    for bad in ["", "{", "{\"a\":1} x", "not json"] {
        let err: Value = serde_json::from_str(&to_line(bad).unwrap_err()).unwrap();
        assert_eq!(err["error"]["code"], -32700, "{bad}");
        assert!(err["id"].is_null());
    }
}

#[test]
fn error_replies_without_id_get_a_null_id() {
    let fixed: Value =
        serde_json::from_str(&with_null_error_id(r#"{"jsonrpc":"2.0","error":{"code":-32600,"message":"x"}}"#.into()))
            .unwrap();
    assert_eq!(fixed.get("id"), Some(&Value::Null));
    let result = r#"{"jsonrpc":"2.0","id":1,"result":{}}"#;
    assert_eq!(with_null_error_id(result.into()), result);
}

#[test]
fn api_key_query_parameter() {
    assert_eq!(query_api_key("api_key=pk_live_abc&x=1").as_deref(), Some("pk_live_abc"));
    assert_eq!(query_api_key("x=1&api_key=a%2Bb").as_deref(), Some("a+b"));
    assert_eq!(query_api_key("api_key="), None);
    assert_eq!(query_api_key("key=1"), None);
}

#[tokio::test]
async fn frames_round_trip_and_bad_json_gets_32700() {
    let mut h = harness(SLOW);
    h.text("{\"jsonrpc\":\"2.0\",\n \"id\":1,\"method\":\"ping\"}").await;
    assert_eq!(h.lines.recv().await.unwrap(), "{\"jsonrpc\":\"2.0\",  \"id\":1,\"method\":\"ping\"}");
    assert_eq!(h.text_frame().await["id"], 1);

    h.text("{oops").await;
    let err = h.text_frame().await;
    assert_eq!(err["error"]["code"], -32700, "{err}");
    h.send(AggregatedMessage::Binary(vec![0xff, 0xfe].into())).await;
    assert_eq!(h.text_frame().await["error"]["code"], -32700);

    // Still connected.
    h.text("{\"id\":2}").await;
    assert_eq!(h.text_frame().await["id"], 2);
    h.send(AggregatedMessage::Ping("p".into())).await;
    assert!(matches!(h.frame().await, Message::Pong(p) if &p[..] == b"p"));
}

#[tokio::test]
async fn client_close_is_echoed_and_ends_the_session() {
    let mut h = harness(SLOW);
    h.send(AggregatedMessage::Close(Some(CloseCode::Normal.into()))).await;
    assert_eq!(h.close_code().await, CloseCode::Normal);
    assert_eq!(h.end().await, End::Client);
    // The session saw the end of its input and stopped.
    assert!(h.lines.recv().await.is_none());
}

#[tokio::test]
async fn shutdown_closes_with_going_away() {
    let mut h = harness(SLOW);
    h.shutdown.cancel();
    assert_eq!(h.close_code().await, CloseCode::Away);
    assert_eq!(h.end().await, End::Shutdown);
}

#[tokio::test]
async fn oversize_message_closes_with_1009() {
    let mut h = harness(SLOW);
    h.client.send(Err(ProtocolError::Overflow)).await.unwrap();
    assert_eq!(h.close_code().await, CloseCode::Size);
    assert_eq!(h.end().await, End::TooBig);
}

#[tokio::test]
async fn silent_client_is_closed_after_the_heartbeat_timeout() {
    let mut h = harness(Heartbeat { interval: Duration::from_millis(40), timeout: Duration::from_millis(100) });
    assert!(matches!(h.frame().await, Message::Ping(_)), "pings first");
    assert_eq!(h.close_code().await, CloseCode::Policy);
    assert_eq!(h.end().await, End::Heartbeat);
}

#[tokio::test]
async fn answering_pings_keeps_the_connection() {
    let mut h = harness(Heartbeat { interval: Duration::from_millis(40), timeout: Duration::from_millis(100) });
    for _ in 0..6 {
        assert!(matches!(h.frame().await, Message::Ping(_)));
        h.send(AggregatedMessage::Pong(actix_web::web::Bytes::new())).await;
    }
    assert!(!h.bridge.is_finished());
}
