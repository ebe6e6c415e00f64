//! Property tests of every tool's parameter struct and of [`TimeArg`]: arbitrary JSON arguments
//! never panic, and every refusal is a `-32602` whose message starts with the field it names
//! (`data.field`), a field of the struct or of the input. Peak allocation per case is bounded by
//! the size of the arguments.

use std::collections::BTreeSet;

use proptest::prelude::*;
use rmcp::model::{ErrorCode, JsonObject};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::activities::{GetActivitiesParams, GetActivityParams, GetStreamsParams};
use super::analytics::{LoadParams, RecordsParams, SearchParams, SettingsParams, WeeksParams};
use super::connection::ProviderParams;
use super::import::ImportParams;
use super::upload_file::UploadActivityParams;
use crate::PROOF_ALLOC as ALLOC;
use crate::mcp::params::{TimeArg, Validate, parse, rfc3339};

/// Parsing copies each argument a few times (the object, one argument alone per field when a
/// type error is looked for, error text); 32 × the arguments' JSON plus 64 KiB covers it.
fn args_bound(json_len: usize) -> u64 {
    (32 * json_len + 64 * 1024) as u64
}

/// The struct's property names, from its JSON Schema (the schema the tool publishes).
fn field_names<P: JsonSchema>() -> &'static [&'static str] {
    let schema = serde_json::to_value(schemars::schema_for!(P)).expect("schema is JSON");
    let names: Vec<&'static str> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| props.keys().map(|k| &*Box::leak(k.clone().into_boxed_str())).collect())
        .unwrap_or_default();
    Box::leak(names.into_boxed_slice())
}

/// Arbitrary arguments for `P` never panic; a refusal names a field.
fn check_params<P: Validate + DeserializeOwned + JsonSchema>(target: &str) {
    let names = field_names::<P>();
    let known: BTreeSet<&str> = names.iter().copied().collect();
    pacer_proof::check(file!(), target, pacer_proof::json_object(names), |arguments| {
        let Value::Object(arguments) = arguments else { unreachable!("json_object gives objects") };
        let json_len = serde_json::to_vec(&arguments).map_or(0, |v| v.len());
        let input: BTreeSet<String> = arguments.keys().cloned().collect();
        let (outcome, peak) = ALLOC.measure(|| parse::<P>(JsonObject::clone(&arguments)).and_then(P::validate).err());
        if let Some(error) = outcome {
            assert_eq!(error.code, ErrorCode::INVALID_PARAMS, "{error:?}");
            let field = error.data.as_ref().and_then(|d| d.get("field")).and_then(Value::as_str);
            let Some(field) = field else {
                panic!("the error names no field: {} (arguments {arguments:?})", error.message)
            };
            assert!(known.contains(field) || input.contains(field), "{field} is neither a parameter nor an argument");
            assert!(error.message.starts_with(&format!("{field}: ")), "{}", error.message);
        }
        assert!(peak <= args_bound(json_len), "peak {peak} B for {json_len} B of arguments");
        peak
    });
}

#[test]
fn get_activities_params() {
    check_params::<GetActivitiesParams>("params: get_activities");
}

#[test]
fn get_activity_params() {
    check_params::<GetActivityParams>("params: get_activity");
}

#[test]
fn get_activity_streams_params() {
    check_params::<GetStreamsParams>("params: get_activity_streams");
}

#[test]
fn search_activities_params() {
    check_params::<SearchParams>("params: search_activities");
}

#[test]
fn get_training_load_params() {
    check_params::<LoadParams>("params: get_training_load");
}

#[test]
fn get_weekly_summary_params() {
    check_params::<WeeksParams>("params: get_weekly_summary");
}

#[test]
fn get_personal_records_params() {
    check_params::<RecordsParams>("params: get_personal_records");
}

#[test]
fn set_athlete_settings_params() {
    check_params::<SettingsParams>("params: set_athlete_settings");
}

#[test]
fn provider_params() {
    check_params::<ProviderParams>("params: connect/status/disconnect provider");
}

#[test]
fn import_activities_params() {
    check_params::<ImportParams>("params: import_activities");
}

#[test]
fn upload_activity_params() {
    check_params::<UploadActivityParams>("params: upload_activity");
}

/// Any text or number is a time or an error naming the field; every epoch second round-trips
/// through its RFC 3339 form.
#[test]
fn time_arg() {
    let strategy = (
        prop_oneof![
            any::<String>().prop_map(Value::String),
            "[0-9T:+.Z-]{0,32}".prop_map(Value::String),
            pacer_proof::json_value(&[]),
        ],
        any::<i64>(),
    );
    pacer_proof::check(file!(), "params: TimeArg", strategy, |(value, epoch)| {
        let ((), peak) = ALLOC.measure(|| {
            if let Ok(time) = serde_json::from_value::<TimeArg>(value)
                && let Err(error) = time.to_epoch("after")
            {
                assert!(error.message.starts_with("after: "), "{}", error.message);
            }
            let text = TimeArg::Text(rfc3339(epoch));
            assert_eq!(text.to_epoch("before").ok(), Some(epoch), "{text:?}");
        });
        peak
    });
}
