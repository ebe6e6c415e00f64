//! Tool schemas in plain, standard JSON Schema, as strict validators (ajv in the MCP Inspector's
//! `--strict` mode) expect: schemars' Rust-specific `format`s (`uint32`, `int64`, `double`, …)
//! are dropped, bare boolean sub-schemas become `{}`, and `$schema` markers go. Output schemas
//! are cut to their top level (each field's name and type; nested objects and array items as
//! plain `object`s/`array`s, `$defs` and field descriptions dropped — field names carry their
//! units, and each tool's description says what it returns) so that
//! `tools/list` stays within the result budget; input schemas stay whole, they guide the model.

use serde_json::{Map, Value};

/// `format` values that are standard JSON Schema (everything else is removed).
const STANDARD_FORMATS: [&str; 12] = [
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "uuid",
    "regex",
];

/// Keys whose value is a sub-schema (or a map / list of them).
const SCHEMA_KEYS: [&str; 4] = ["items", "additionalProperties", "not", "contains"];
const SCHEMA_MAP_KEYS: [&str; 3] = ["properties", "$defs", "definitions"];
const SCHEMA_LIST_KEYS: [&str; 3] = ["anyOf", "oneOf", "allOf"];

fn tidy_schema(value: &mut Value, keep_descriptions: bool, depth: usize) {
    // `true` (anything) as `{}`; `false` (nothing, e.g. `additionalProperties: false`) stays.
    if *value == Value::Bool(true) {
        *value = Value::Object(Map::new());
        return;
    }
    let Value::Object(map) = value else { return };
    map.remove("$schema");
    if map.get("format").and_then(Value::as_str).is_some_and(|f| !STANDARD_FORMATS.contains(&f)) {
        map.remove("format");
    }
    if !keep_descriptions && depth > 0 {
        map.remove("description");
    }
    for key in SCHEMA_KEYS {
        if let Some(sub) = map.get_mut(key) {
            tidy_schema(sub, keep_descriptions, depth + 1);
        }
    }
    for key in SCHEMA_MAP_KEYS {
        if let Some(Value::Object(subs)) = map.get_mut(key) {
            for sub in subs.values_mut() {
                tidy_schema(sub, keep_descriptions, depth + 1);
            }
        }
    }
    for key in SCHEMA_LIST_KEYS {
        if let Some(Value::Array(subs)) = map.get_mut(key) {
            for sub in subs {
                tidy_schema(sub, keep_descriptions, depth + 1);
            }
        }
    }
}

/// Tidies a tool's input schema (descriptions kept).
pub fn input(schema: &mut Map<String, Value>) {
    let mut value = Value::Object(std::mem::take(schema));
    tidy_schema(&mut value, true, 0);
    if let Value::Object(map) = value {
        *schema = map;
    }
}

/// Tidies a tool's output schema and cuts it to its top level.
pub fn output(schema: &mut Map<String, Value>) {
    let mut value = Value::Object(std::mem::take(schema));
    tidy_schema(&mut value, true, 0);
    if let Value::Object(map) = value {
        *schema = map;
    }
    schema.remove("$defs");
    schema.remove("definitions");
    schema.remove("required");
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        for prop in props.values_mut() {
            shallow(prop);
        }
    }
}

/// A field's schema reduced to its JSON type(s).
fn shallow(prop: &mut Value) {
    let Value::Object(map) = prop else { return };
    fn collect(types: &mut Vec<Value>, t: &Value) {
        match t {
            Value::String(_) => types.push(t.clone()),
            Value::Array(list) => types.extend(list.iter().cloned()),
            _ => {}
        }
    }
    let mut types: Vec<Value> = Vec::new();
    if let Some(t) = map.get("type") {
        collect(&mut types, t);
    }
    for key in SCHEMA_LIST_KEYS {
        if let Some(Value::Array(subs)) = map.get(key) {
            for sub in subs {
                match sub.get("type") {
                    Some(t) => collect(&mut types, t),
                    // A `$ref` to a definition: an object.
                    None if sub.get("$ref").is_some() => types.push(Value::from("object")),
                    None => {}
                }
            }
        }
    }
    if types.is_empty() && map.get("$ref").is_some() {
        types.push(Value::from("object"));
    }
    types.dedup();
    let mut out = Map::new();
    match types.len() {
        0 => {}
        1 => {
            out.insert("type".into(), types.remove(0));
        }
        _ => {
            out.insert("type".into(), Value::Array(types));
        }
    }
    *map = out;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formats_booleans_and_output_cut_to_the_top_level() {
        let mut out = json!({
            "$schema": "x", "description": "top", "type": "object",
            "properties": {
                "n": {"type": "integer", "format": "uint32", "description": "count"},
                "t": {"type": "string", "format": "date-time"},
                "series": {"type": "object", "additionalProperties": {"type": "array", "items": true}},
                "opt": {"anyOf": [{"$ref": "#/$defs/X"}, {"type": "null"}], "description": "maybe"},
                "list": {"type": "array", "items": {"$ref": "#/$defs/X"}}
            },
            "required": ["n"],
            "$defs": {"X": {"type": "number", "format": "double", "description": "gone"}}
        });
        let Value::Object(mut map) = out.take() else { panic!("object") };
        output(&mut map);
        assert_eq!(
            Value::Object(map),
            json!({
                "description": "top", "type": "object",
                "properties": {
                    "n": {"type": "integer"},
                    "t": {"type": "string"},
                    "series": {"type": "object"},
                    "opt": {"type": ["object", "null"]},
                    "list": {"type": "array"}
                },
            })
        );
        let Value::Object(mut input_map) =
            json!({"properties": {"a": {"type": "integer", "format": "int64", "description": "kept", "items": true}}})
        else {
            panic!("object")
        };
        input(&mut input_map);
        assert_eq!(
            Value::Object(input_map),
            json!({"properties": {"a": {"type": "integer", "description": "kept", "items": {}}}})
        );
    }
}
