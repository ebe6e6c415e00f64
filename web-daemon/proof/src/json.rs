//! [`json_value`]: arbitrary JSON documents, biased towards the shapes parameter structs see.

use proptest::prelude::*;
use serde_json::{Map, Number, Value};

/// Member names: the given `names` (so the fields a struct knows are hit often) or any string.
fn key(names: &'static [&'static str]) -> BoxedStrategy<String> {
    if names.is_empty() {
        return any::<String>().boxed();
    }
    prop_oneof![3 => proptest::sample::select(names).prop_map(str::to_owned), 1 => any::<String>()].boxed()
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop_oneof![Just(-1i64), Just(0), Just(1), Just(u32::MAX as i64), Just(i64::MIN)].prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just(""),
            Just("gpx"),
            Just("fit.gz"),
            Just("2026-11-30T12:00:00Z"),
            Just("1764504000"),
            Just("-1")
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ]
}

/// A JSON value at most three levels deep whose object members are mostly named from `names`.
pub fn json_value(names: &'static [&'static str]) -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 32, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::vec((key(names), inner), 0..8)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A JSON object whose members are mostly named from `names`, with arbitrary values.
pub fn json_object(names: &'static [&'static str]) -> impl Strategy<Value = Value> {
    proptest::collection::vec((key(names), json_value(names)), 0..8)
        .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>()))
}
