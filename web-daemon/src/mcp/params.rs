//! Tool arguments: the [`Parameters`] extractor and the helpers parameter types share.
//!
//! rmcp's own `Parameters<T>` reports a bad argument as `failed to deserialize parameters:
//! invalid type: string "x", expected u32` — without the field — and its router turns that into
//! an `isError` tool result. pacer's contract is a JSON-RPC `-32602` that names the field, so
//! this module has its own extractor. It is called `Parameters` on purpose: rmcp's `#[tool]`
//! macro recognises the argument type by that name and derives the tool's `inputSchema` from
//! the inner type.
//!
//! Parsing and validation are one step ([`Validate::validate`]): a tool receives the checked,
//! converted value and never sees raw input.

use std::marker::PhantomData;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use pacer_shared::ProviderId;
use rmcp::ErrorData;
use rmcp::handler::server::common::FromContextPart;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::JsonObject;
use schemars::JsonSchema;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

/// Checks a deserialized argument struct and converts it into what the tool works with.
pub trait Validate: Sized {
    /// The checked value the tool receives.
    type Output;
    /// Errors are [`invalid`] (`-32602`, message starting with the field name).
    fn validate(self) -> Result<Self::Output, ErrorData>;
}

/// The tool's arguments, deserialized from `P` (whose schema is the tool's `inputSchema`) and
/// validated into `P::Output`.
pub struct Parameters<P: Validate>(pub P::Output, pub PhantomData<fn() -> P>);

impl<P: Validate + JsonSchema> JsonSchema for Parameters<P> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        P::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        P::json_schema(generator)
    }
}

impl<S, P> FromContextPart<ToolCallContext<'_, S>> for Parameters<P>
where
    P: Validate + DeserializeOwned,
{
    fn from_context_part(context: &mut ToolCallContext<'_, S>) -> Result<Self, ErrorData> {
        let arguments = context.arguments.take().unwrap_or_default();
        let value = parse::<P>(arguments)?.validate()?;
        Ok(Self(value, PhantomData))
    }
}

/// An invalid-argument error: `-32602`, message `"<field>: <problem>"`, `data.field`.
pub fn invalid(field: &str, problem: impl std::fmt::Display) -> ErrorData {
    ErrorData::invalid_params(format!("{field}: {problem}"), Some(json!({ "field": field })))
}

/// Whole numbers sent as floats (`3.0`, as protobuf-based clients do) become integers, so an
/// integer parameter accepts them; a float parameter takes an integer all the same.
pub fn whole_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15) {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(map) => map.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// Deserializes `arguments` into `P`; on failure names the offending field.
pub fn parse<P: DeserializeOwned>(arguments: JsonObject) -> Result<P, ErrorData> {
    let mut value = Value::Object(arguments);
    whole_numbers_as_integers(&mut value);
    let error = match P::deserialize(&value) {
        Ok(p) => return Ok(p),
        Err(e) => e.to_string(),
    };
    if let Some(field) = quoted_after(&error, "missing field `") {
        return Err(invalid(field, "required"));
    }
    if let Some(rest) = error.strip_prefix("unknown field `") {
        // The name is one of the arguments (it may itself hold a backtick): the longest that
        // the message quotes.
        let quoted = |name: &&String| rest.strip_prefix(name.as_str()).is_some_and(|r| r.starts_with('`'));
        let names = value.as_object().into_iter().flat_map(|arguments| arguments.keys());
        let field = names.filter(quoted).max_by_key(|name| name.len()).map_or("", |name| name.as_str());
        let expected = rest[field.len()..].split_once(", expected ").map_or("", |(_, e)| e);
        return Err(invalid(field, format!("unknown parameter (expected {expected})")));
    }
    // serde_json does not say which field a type error belongs to: find the argument that
    // fails on its own. Alone, a valid argument fails only with "missing field".
    let Value::Object(arguments) = value else {
        return Err(ErrorData::invalid_params(error, None));
    };
    for (name, arg) in &arguments {
        let alone = Value::Object(JsonObject::from_iter([(name.clone(), arg.clone())]));
        if let Err(e) = P::deserialize(&alone)
            && !e.to_string().starts_with("missing field")
        {
            return Err(invalid(name, e));
        }
    }
    Err(ErrorData::invalid_params(format!("invalid arguments: {error}"), None))
}

fn quoted_after<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = text.strip_prefix(prefix)?;
    rest.split_once('`').map(|(field, _)| field)
}

/// A point in time given as RFC 3339 / ISO-8601 text or as epoch seconds.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeArg {
    /// Epoch seconds, e.g. `1795564800`.
    Epoch(i64),
    /// ISO-8601, e.g. `2026-11-25T07:30:00Z`, `2026-11-25T08:30:00+01:00` or `2026-11-25`
    /// (midnight UTC); a time without an offset is UTC.
    Text(String),
}

/// One compact, inlined schema (it appears in several tools' inputs).
impl JsonSchema for TimeArg {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TimeArg".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": ["string", "integer"],
            "description": "ISO-8601 (2026-11-25T07:30:00Z, 2026-11-25) or epoch seconds"
        })
    }
}

impl<'de> Deserialize<'de> for TimeArg {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(text) => Ok(Self::Text(text)),
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e15).map(|f| f as i64))
                .map(Self::Epoch)
                .ok_or_else(|| D::Error::custom("expected whole epoch seconds")),
            _ => Err(D::Error::custom("expected ISO-8601 text (e.g. 2026-11-25T07:30:00Z) or epoch seconds")),
        }
    }
}

impl TimeArg {
    /// Epoch seconds; `field` names the argument in the error.
    pub fn to_epoch(&self, field: &str) -> Result<i64, ErrorData> {
        match self {
            Self::Epoch(s) => Ok(*s),
            Self::Text(text) => parse_time(text.trim()).ok_or_else(|| {
                invalid(
                    field,
                    format!(
                        "'{text}' is not a time: use ISO-8601 like 2026-11-25T07:30:00Z, \
                         2026-11-25T08:30:00+01:00 or 2026-11-25, or epoch seconds"
                    ),
                )
            }),
        }
    }
}

fn parse_time(text: &str) -> Option<i64> {
    if let Ok(secs) = text.parse::<i64>() {
        return Some(secs);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp());
    }
    // Without an offset (local to nobody: read as UTC), or UTC with a year RFC 3339 cannot
    // write (beyond 9999 or before 0000, as [`rfc3339`] answers such epochs).
    if let Ok(t) = NaiveDateTime::parse_from_str(text.strip_suffix('Z').unwrap_or(text), "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t.and_utc().timestamp());
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp())
}

/// Epoch seconds as RFC 3339 UTC (`2026-11-25T07:30:00Z`).
pub fn rfc3339(epoch_s: i64) -> String {
    DateTime::<Utc>::from_timestamp(epoch_s, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| epoch_s.to_string())
}

/// The `provider` argument: default [`ProviderId::default`], case-insensitive, must be supported.
pub fn provider_id(provider: Option<String>) -> Result<ProviderId, ErrorData> {
    match provider {
        None => Ok(ProviderId::default()),
        Some(name) => name.parse().map_err(|e: String| invalid("provider", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct P {
        id: u64,
        limit: Option<u32>,
        when: Option<TimeArg>,
    }

    fn err(args: Value) -> ErrorData {
        let Value::Object(map) = args else { panic!("object") };
        parse::<P>(map).expect_err("should fail")
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(err(json!({"id": 1, "limit": "x"})).message, "limit: invalid type: string \"x\", expected u32");
        assert_eq!(err(json!({"id": 1, "limit": -1})).data, Some(json!({"field": "limit"})));
        assert_eq!(err(json!({"limit": 5})).message, "id: required");
        assert!(err(json!({"id": 1, "lmit": 5})).message.starts_with("lmit: unknown parameter (expected one of"));
        // Found by the property test (`tools/proof.rs`): a backtick in the name cut it short.
        assert_eq!(err(json!({"id": 1, "a`b": 5})).data, Some(json!({"field": "a`b"})));
        assert_eq!(err(json!({"id": 1, "`": null})).data, Some(json!({"field": "`"})));
        assert_eq!(
            err(json!({"id": 1, "when": true})).message,
            "when: expected ISO-8601 text (e.g. 2026-11-25T07:30:00Z) or epoch seconds"
        );
        assert_eq!(err(json!({"id": 1, "when": 1.5})).message, "when: expected whole epoch seconds");
        assert_eq!(
            parse::<P>(JsonObject::from_iter([("id".to_owned(), json!(1)), ("when".to_owned(), json!(1795564800.0))]))
                .ok()
                .and_then(|p| p.when),
            Some(TimeArg::Epoch(1_795_564_800))
        );
    }

    #[test]
    fn times() {
        let at = |s: &str| TimeArg::Text(s.into()).to_epoch("after");
        assert_eq!(at("2026-11-25T07:30:00Z").ok(), Some(1_795_591_800));
        assert_eq!(at("2026-11-25T08:30:00+01:00").ok(), Some(1_795_591_800));
        assert_eq!(at("2026-11-25T07:30:00").ok(), Some(1_795_591_800));
        assert_eq!(at("2026-11-25").ok(), Some(1_795_564_800));
        assert_eq!(at("1795564800").ok(), Some(1_795_564_800));
        assert!(at("yesterday").is_err_and(|e| e.message.starts_with("after: 'yesterday' is not a time")));
        assert_eq!(rfc3339(1_795_591_800), "2026-11-25T07:30:00Z");
        // Found by the property test: a year RFC 3339 cannot write must still read back.
        assert_eq!(at(&rfc3339(-3_083_173_141_978)).ok(), Some(-3_083_173_141_978));
        assert_eq!(at("-95732-02-18T16:07:02Z").ok(), Some(-3_083_173_141_978));
    }

    #[test]
    fn providers() {
        assert_eq!(provider_id(None).ok(), Some(ProviderId::Strava));
        assert_eq!(provider_id(Some(" Strava ".into())).ok(), Some(ProviderId::Strava));
        assert!(provider_id(Some("garmin".into())).is_err_and(|e| e.message.starts_with("provider: unsupported")));
    }
}
