//! Property tests of the A2A message parser: whatever JSON arrives (arbitrary values, and valid
//! messages mutated), [`super::message::skill_call`] answers without panicking, with a call, a
//! "no skill" answer, or an error naming a field. Failing inputs are kept by proptest under
//! `web-daemon/proptest-regressions/` and replayed first.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::message::{Asked, skill_call};
use super::wire::Version;

fn skills() -> Vec<String> {
    crate::mcp::tool_names()
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,24}".prop_map(Value::String),
        prop::sample::select(vec!["get_activities", "get_athlete", "limit", "data", "text", "skill", "parts"])
            .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Object keys: mostly the ones the parser looks at.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["parts", "kind", "text", "data", "skill", "arguments", "role", "limit", "messageId"])
            .prop_map(String::from),
        "[a-z_]{1,8}",
    ]
}

/// Text commands, well-formed or not: a skill or a word, then tokens of every kind.
fn command_text() -> impl Strategy<Value = String> {
    let first = prop_oneof![
        prop::sample::select(vec!["get_activities", "get_athlete", "get_activity_streams"]).prop_map(String::from),
        "\\PC{0,12}",
    ];
    let token = prop_oneof![
        "[a-z_]{1,8}",
        "-?[0-9]{1,20}(\\.[0-9]{0,4})?",
        "\"[^\"]{0,8}\"?",
        "[\\[{][0-9a-z\",:\\[\\]{} ]{0,12}",
        "[a-z]{1,5}[=:][a-z0-9]{0,5}",
        "\\PC{1,6}",
    ];
    (first, prop::collection::vec(token, 0..8)).prop_map(|(first, rest)| {
        let mut text = first;
        for t in rest {
            text.push(' ');
            text.push_str(&t);
        }
        text
    })
}

/// A valid message in either generation's shape.
fn valid_message() -> impl Strategy<Value = Value> {
    (any::<bool>(), any::<bool>(), 1u32..200, command_text()).prop_map(|(v1, data, limit, text)| {
        let part = match (v1, data) {
            (true, true) => json!({"data": {"skill": "get_activities", "arguments": {"limit": f64::from(limit)}}}),
            (false, true) => {
                json!({"kind": "data", "data": {"skill": "get_activities", "arguments": {"limit": limit}}})
            }
            (true, false) => json!({"text": text}),
            (false, false) => json!({"kind": "text", "text": text}),
        };
        let role = if v1 { "ROLE_USER" } else { "user" };
        json!({"role": role, "messageId": "m-1", "parts": [part]})
    })
}

/// `message` with one value somewhere replaced by `replacement`.
fn mutate(message: Value, path: &[usize], replacement: Value) -> Value {
    fn walk(value: &mut Value, path: &[usize], replacement: Value) {
        let Some((&step, rest)) = path.split_first() else {
            *value = replacement;
            return;
        };
        match value {
            Value::Array(items) if !items.is_empty() => {
                let i = step % items.len();
                walk(&mut items[i], rest, replacement);
            }
            Value::Object(map) if !map.is_empty() => {
                let key = map.keys().nth(step % map.len()).cloned().unwrap_or_default();
                if let Some(v) = map.get_mut(&key) {
                    walk(v, rest, replacement);
                }
            }
            other => *other = replacement,
        }
    }
    let mut message = message;
    walk(&mut message, path, replacement);
    message
}

/// The parser's contract on `message`.
fn well_formed(message: &Value) -> Result<(), TestCaseError> {
    let skills = skills();
    match skill_call(message, &skills) {
        Ok(Asked::Call(call)) => prop_assert!(skills.contains(&call.skill), "call to an unknown skill: {call:?}"),
        Ok(Asked::NoSkill { word }) => prop_assert!(word.chars().count() <= super::error::MAX_ECHO_CHARS + 1),
        Err(e) => {
            let known = ["message.parts", "text", "arguments.", "skill"];
            prop_assert!(known.iter().any(|k| e.field.starts_with(k)), "field {:?} for {message}", e.field);
            prop_assert!(!e.problem.is_empty());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn arbitrary_json_never_panics(value in any_json()) {
        well_formed(&value)?;
        well_formed(&json!({ "parts": value }))?;
        well_formed(&json!({ "parts": [value] }))?;
    }

    #[test]
    fn mutated_messages_never_panic(
        message in valid_message(),
        path in prop::collection::vec(any::<usize>(), 0..5),
        replacement in any_json(),
    ) {
        well_formed(&message)?;
        well_formed(&mutate(message, &path, replacement))?;
    }

    #[test]
    fn text_commands_never_panic(text in command_text()) {
        let message = Value::Object(Map::from_iter([("parts".into(), json!([{ "text": text }]))]));
        well_formed(&message)?;
    }

    #[test]
    fn version_values_never_panic(value in "\\PC{0,12}", method in "[A-Za-z/]{0,16}") {
        match Version::negotiate(Some(&value), &method) {
            Ok(v) => prop_assert!(Version::ALL.contains(&v)),
            Err(e) => prop_assert_eq!(e.code, super::error::VERSION_NOT_SUPPORTED),
        }
    }
}
