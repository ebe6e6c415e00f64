//! The socket frame decoder and the hello: arbitrary and damaged streams never panic, allocate
//! at most the frame cap plus what decoding the bytes present needs, and valid frames round-trip.

use pacer_shared::Secret;
use pacer_shared::ipc::{
    AdminRequest, AdminResponse, Channel, FrameError, Hello, HelloReply, MAX_FRAME_BYTES, encode_frame, read_frame,
};
use proptest::prelude::*;

use crate::ALLOC;

/// A small cap for the arbitrary streams, so the oversize path is hit too.
const SMALL_CAP: usize = 4096;

/// One frame's worst case: the body buffer (the announced length, at most `max`, allocated
/// before it is read) plus decoding the bytes actually present (serde_json holds at most a few
/// times the input: strings, maps) plus 64 KiB of fixed buffers.
fn frame_bound(max: usize, input: usize) -> u64 {
    (max + 8 * input + 64 * 1024) as u64
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().build().expect("runtime")
}

/// Decodes `bytes` as every message type a side reads; returns the peak allocation.
fn decode_all(rt: &tokio::runtime::Runtime, bytes: &[u8], max: usize) -> u64 {
    let ((), peak) = ALLOC.measure(|| {
        rt.block_on(async {
            let _ = read_frame::<_, Hello>(&mut &bytes[..], max).await;
            let _ = read_frame::<_, HelloReply>(&mut &bytes[..], max).await;
            let _ = read_frame::<_, AdminRequest>(&mut &bytes[..], max).await;
            let _ = read_frame::<_, AdminResponse>(&mut &bytes[..], max).await;
        })
    });
    let bound = frame_bound(max, bytes.len());
    assert!(peak <= bound, "peak {peak} B over the bound {bound} B ({} B in)", bytes.len());
    peak
}

/// A length prefix (often truthful, sometimes not) before a body of JSON-ish or random bytes.
fn framed_bytes() -> impl Strategy<Value = Vec<u8>> {
    let body = prop_oneof![
        pacer_proof::json_value(&["protocol", "client", "channel", "api_key", "op", "type", "email", "tenant"])
            .prop_map(|v| v.to_string().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..256),
    ];
    (body, prop_oneof![3 => Just(None), 1 => any::<u32>().prop_map(Some)]).prop_map(|(body, len)| {
        let len = len.unwrap_or(body.len() as u32);
        let mut out = len.to_be_bytes().to_vec();
        out.extend_from_slice(&body);
        out
    })
}

fn hello() -> impl Strategy<Value = Hello> {
    (
        any::<u32>(),
        any::<String>(),
        prop_oneof![Just(Channel::Mcp), Just(Channel::Admin)],
        proptest::option::of(any::<String>()),
    )
        .prop_map(|(protocol, client, channel, key)| Hello {
            protocol,
            client,
            channel,
            api_key: key.map(Secret::new),
        })
}

#[test]
fn arbitrary_streams_never_panic() {
    let rt = runtime();
    let strategy = prop_oneof![framed_bytes(), proptest::collection::vec(any::<u8>(), 0..512)];
    pacer_proof::check(file!(), "ipc: arbitrary frames", strategy, |bytes| {
        decode_all(&rt, &bytes, SMALL_CAP).max(decode_all(&rt, &bytes, MAX_FRAME_BYTES))
    });
}

#[test]
fn mutated_hello_frames_never_panic() {
    let rt = runtime();
    let valid = encode_frame(&Hello {
        protocol: 1,
        client: "pacer-mcp/0.1.0".into(),
        channel: Channel::Mcp,
        api_key: Some(Secret::new("pk_live_0123456789abcdef".into())),
    })
    .expect("encode");
    pacer_proof::check(file!(), "ipc: mutated hello", pacer_proof::mutated(valid), |bytes| {
        decode_all(&rt, &bytes, MAX_FRAME_BYTES)
    });
}

#[test]
fn hello_round_trips_or_is_refused_as_oversize() {
    let rt = runtime();
    pacer_proof::check(file!(), "ipc: hello round trip", hello(), |hello| {
        let ((), peak) = ALLOC.measure(|| match encode_frame(&hello) {
            Ok(frame) => {
                let back: Hello = rt.block_on(read_frame(&mut &frame[..], MAX_FRAME_BYTES)).expect("decodes");
                assert_eq!(
                    (back.protocol, &back.client, back.channel, &back.api_key),
                    (hello.protocol, &hello.client, hello.channel, &hello.api_key)
                );
            }
            Err(FrameError::Oversize { .. }) => {}
            Err(other) => panic!("{other}"),
        });
        peak
    });
}
