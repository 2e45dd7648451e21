//! Micro-benchmarks of the hot path of every consumer: one text frame in, one typed message
//! handed to a handler. Takes the complete example frames of the spec of record from
//! `ctechnology_rt::servers::EXAMPLES` and, per frame, measures in the same run:
//!
//! - `generated`: `ctechnology_rt::decode` + `dispatch` to a handler that does nothing;
//! - `limit`: one `serde_json::from_str` of the frame into the payload struct one would write by
//!   hand, with serde's `#[derive(Deserialize)]` (`tests/support/derived_payloads.rs`; no routing);
//! - `payload`: the same into the generated payload type, whose `Deserialize` is the runtime's
//!   `__serde_struct!` (`limit` against `payload` is the macro against the derive);
//! - `naive`: parse into `serde_json::Value`, read `header.channel`, `from_value` the `data`;
//! - `sonic_rs`, `simd_json`: the two SIMD JSON parsers that drive serde derives, into the same
//!   struct as `limit` (simd-json parses in place, so its copy of the frame is counted).
//!
//! Before it measures, it checks that the hand-written structs and the generated ones decode
//! every example of the two messages to the same JSON.
//!
//! After criterion's own report it prints a table of medians and the ratios generated/limit and
//! naive/generated (targets: ≤ 1.10 and ≥ 2), and a `RESULT` line of JSON with the medians, which
//! `cargo xtask bench` reads. Run with `cargo bench -p snapshot-tests --bench
//! decode`; `-- --test` runs every function once, as CI does. Nothing here asserts a timing.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group};
use ctechnology_rt::types::{NotificationPayload, VehicleStatusPayload};
use ctechnology_rt::{Handler, decode, dispatch};
use serde::Serialize;
use serde::de::DeserializeOwned;

#[path = "../support/derived_payloads.rs"]
mod derived;

/// The frames measured: (message, example name, channel). The complete examples, not the
/// minimal ones.
const FRAMES: &[(&str, &str, &str)] =
    &[("vehicleStatus", "boatComplete", "vehicle/status"), ("notification", "vehicleMovedAlert", "notification")];

/// Does nothing with each message (the payload is dropped, as a real handler's would be).
struct NoOp;

impl Handler for NoOp {}

fn example(message: &str, name: &str) -> &'static str {
    ctechnology_rt::servers::EXAMPLES
        .iter()
        .find(|e| e.message.name() == message && e.name == name)
        .map(|e| e.json)
        .expect("the spec of record has this example (FRAMES names only existing ones)")
}

/// The common naive decoder: a `Value` tree, then the `data` subtree converted to the typed
/// data. The channel decides the type, as a hand-written router would.
fn naive<D: DeserializeOwned>(frame: &str, channel: &str) -> Option<D> {
    let mut value: serde_json::Value = serde_json::from_str(frame).ok()?;
    let tag = value.get("header")?.get("channel")?.as_str()?;
    if tag != channel {
        return None;
    }
    serde_json::from_value(value.get_mut("data")?.take()).ok()
}

/// Stops the benchmark if the hand-written structs `H` decode an example of `message` to
/// other JSON than the generated `P`: then `limit` would not measure the same work.
fn check_same_decode<P: DeserializeOwned + Serialize, H: DeserializeOwned + Serialize>(message: &str) {
    let examples = ctechnology_rt::servers::EXAMPLES.iter().filter(|e| e.message.name() == message);
    for example in examples {
        let generated = serde_json::from_str::<P>(example.json).map(|p| serde_json::to_value(p).ok());
        let by_hand = serde_json::from_str::<H>(example.json).map(|h| serde_json::to_value(h).ok());
        assert!(
            matches!((&generated, &by_hand), (Ok(Some(g)), Ok(Some(h))) if g == h),
            "example `{}` of `{message}`: tests/support/derived_payloads.rs no longer matches the generated types \
             (generated {generated:?}, by hand {by_hand:?})",
            example.name
        );
    }
}

fn bench_frame<P, H, D>(c: &mut Criterion, (message, name, channel): (&str, &str, &str))
where
    P: DeserializeOwned + Serialize,
    H: DeserializeOwned + Serialize,
    D: DeserializeOwned,
{
    check_same_decode::<P, H>(message);
    let frame = example(message, name);
    let mut group = c.benchmark_group(format!("decode/{message}.{name}"));
    group.throughput(criterion::Throughput::Bytes(frame.len() as u64));
    group.bench_function("generated", |b| {
        let mut handler = NoOp;
        b.iter(|| {
            if let Ok(message) = decode(black_box(frame)) {
                dispatch(&mut handler, message);
            }
        });
    });
    group.bench_function("limit", |b| b.iter(|| serde_json::from_str::<H>(black_box(frame)).ok()));
    group.bench_function("payload", |b| b.iter(|| serde_json::from_str::<P>(black_box(frame)).ok()));
    // The SIMD parsers that drive serde derives, on the same structs as `limit` (no routing).
    group.bench_function("sonic_rs", |b| b.iter(|| sonic_rs::from_str::<H>(black_box(frame)).ok()));
    group.bench_function("simd_json", |b| {
        b.iter(|| {
            // simd-json parses in place: the copy of the frame is part of its cost.
            let mut bytes = black_box(frame).as_bytes().to_vec();
            simd_json::serde::from_slice::<H>(&mut bytes).ok()
        })
    });
    group.bench_function("naive", |b| b.iter(|| naive::<D>(black_box(frame), channel)));
    // The routing step alone, to attribute generated − limit.
    group.bench_function("peek_tag", |b| {
        b.iter(|| {
            asyncapi_runtime::__private::peek_tag(black_box(frame), &["header", "channel"]).ok().flatten().is_some()
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    for &frame in FRAMES {
        match frame.0 {
            "vehicleStatus" => {
                bench_frame::<VehicleStatusPayload, derived::VehicleStatusPayload, derived::VehicleStatus>(c, frame)
            }
            _ => bench_frame::<NotificationPayload, derived::NotificationPayload, derived::Notification>(c, frame),
        }
    }
}

criterion_group! {
    name = decode_benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    targets = benches
}

fn main() {
    decode_benches();
    Criterion::default().configure_from_args().final_summary();
    summary::print(FRAMES);
}

/// Reads the medians criterion saved for this run and prints them side by side.
mod summary {
    use std::path::PathBuf;

    fn median_ns(group: &str, function: &str) -> Option<f64> {
        let dir = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
        let path = dir.join("criterion").join(group.replace('/', "_")).join(function).join("new/estimates.json");
        let text = std::fs::read_to_string(path).ok()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        json.get("median")?.get("point_estimate")?.as_f64()
    }

    pub fn print(frames: &[(&str, &str, &str)]) {
        if std::env::args().any(|a| a == "--test" || a == "--list") {
            return;
        }
        println!();
        println!(
            "sizes: Incoming {} B, VehicleStatusPayload {} B, NotificationPayload {} B",
            std::mem::size_of::<ctechnology_rt::Incoming>(),
            std::mem::size_of::<super::VehicleStatusPayload>(),
            std::mem::size_of::<super::NotificationPayload>()
        );
        println!(
            "| frame | bytes | generated | limit | payload | sonic_rs | simd_json | naive | peek_tag alone | generated/limit | payload/limit | limit/sonic_rs | limit/simd_json | naive/generated |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        let mut result = Vec::new();
        for (message, name, _) in frames {
            let group = format!("decode/{message}.{name}");
            let bytes = super::example(message, name).len();
            let [Some(g), Some(l), Some(pl), Some(so), Some(sj), Some(n), Some(p)] =
                ["generated", "limit", "payload", "sonic_rs", "simd_json", "naive", "peek_tag"]
                    .map(|f| median_ns(&group, f))
            else {
                println!("| {message}.{name} | {bytes} | (not measured in this run) | | | | | | | | | | | |");
                continue;
            };
            result.push(serde_json::json!({
                "frame": format!("{message}.{name}"), "bytes": bytes, "generated_ns": g, "limit_ns": l,
                "payload_ns": pl, "sonic_rs_ns": so, "simd_json_ns": sj, "naive_ns": n, "peek_tag_ns": p,
            }));
            println!(
                "| {message}.{name} | {bytes} | {g:.0} ns | {l:.0} ns | {pl:.0} ns | {so:.0} ns | {sj:.0} ns | {n:.0} ns | {p:.0} ns | {:.2}x | {:.2}x | {:.2}x | {:.2}x | {:.2}x |",
                g / l,
                pl / l,
                l / so,
                l / sj,
                n / g
            );
        }
        println!("RESULT {}", serde_json::json!({ "frames": result }));
    }
}
