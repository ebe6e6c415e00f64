//! Tool schemas in plain, standard JSON Schema, as strict validators (ajv in the MCP Inspector's
//! `--strict` mode) expect: schemars' Rust-specific `format`s (`uint32`, `int64`, `double`, …)
//! are dropped, bare boolean sub-schemas become `{}`, `$schema` markers go, and a `type` list
//! (schemars' spelling of `Option<T>`: `["string", "null"]`) becomes `anyOf` branches with one
//! `type` each, carrying the keywords that apply to that type. Output schemas
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

/// Keywords that constrain only instances of one JSON type: in a `type` list split into `anyOf`
/// branches they move into the branch of their type (so a strict validator sees no keyword
/// without its type).
const TYPE_KEYWORDS: [(&str, &[&str]); 5] = [
    ("string", &["minLength", "maxLength", "pattern", "format", "contentEncoding", "contentMediaType"]),
    ("number", &["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]),
    ("integer", &["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]),
    (
        "array",
        &["items", "prefixItems", "contains", "minItems", "maxItems", "uniqueItems", "minContains", "maxContains"],
    ),
    (
        "object",
        &[
            "properties",
            "additionalProperties",
            "patternProperties",
            "propertyNames",
            "required",
            "minProperties",
            "maxProperties",
            "dependentRequired",
            "dependentSchemas",
        ],
    ),
];

/// `"type": [a, b]` as `"anyOf": [{"type": a, …a's keywords}, {"type": b, …}]` (a one-entry
/// list as the plain type). The MCP Inspector's `--strict` flags type lists as unportable
/// (clients that map tool schemas onto a single-`type` dialect reject them); `anyOf` keeps the
/// contract (`null` stays allowed, the field stays required where it was).
fn split_type_list(map: &mut Map<String, Value>) {
    let Some(Value::Array(types)) = map.get("type") else { return };
    let mut types = types.clone();
    types.dedup();
    map.remove("type");
    if types.len() == 1 {
        map.insert("type".into(), types.remove(0));
        return;
    }
    let mut branches: Vec<Value> = types
        .iter()
        .map(|t| {
            let mut branch = Map::new();
            branch.insert("type".into(), t.clone());
            for (ty, keywords) in TYPE_KEYWORDS {
                if t.as_str() != Some(ty) {
                    continue;
                }
                for keyword in keywords {
                    if let Some(v) = map.get(*keyword) {
                        branch.insert((*keyword).into(), v.clone());
                    }
                }
            }
            Value::Object(branch)
        })
        .collect();
    for (_, keywords) in TYPE_KEYWORDS {
        for keyword in keywords {
            map.remove(*keyword);
        }
    }
    match map.remove("anyOf") {
        // Both a type list and an `anyOf`: the value must satisfy both.
        Some(existing) => {
            let mut all = match map.remove("allOf") {
                Some(Value::Array(all)) => all,
                _ => Vec::new(),
            };
            all.push(serde_json::json!({ "anyOf": existing }));
            all.push(serde_json::json!({ "anyOf": std::mem::take(&mut branches) }));
            map.insert("allOf".into(), Value::Array(all));
        }
        None => {
            map.insert("anyOf".into(), Value::Array(branches));
        }
    }
}

fn tidy_schema(value: &mut Value, keep_descriptions: bool, depth: usize) {
    // `true` (anything) as `{}`; `false` (nothing, e.g. `additionalProperties: false`) stays.
    if *value == Value::Bool(true) {
        *value = Value::Object(Map::new());
        return;
    }
    let Value::Object(map) = value else { return };
    map.remove("$schema");
    split_type_list(map);
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

/// In input schemas, an optional property (not in `required`) is not also nullable: `null` leaves
/// its `type` list and its `anyOf` (`Option<T>` is the same to pacer whether absent or `null`;
/// the shorter schema keeps `tools/list` within the result budget). Nested objects too.
fn optional_not_null(value: &mut Value) {
    let Value::Object(map) = value else { return };
    let required: Vec<String> = match map.get("required") {
        Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).map(String::from).collect(),
        _ => Vec::new(),
    };
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for (name, prop) in props.iter_mut() {
            if !required.contains(name) {
                drop_null(prop);
            }
        }
    }
    for key in SCHEMA_KEYS {
        if let Some(sub) = map.get_mut(key) {
            optional_not_null(sub);
        }
    }
    for key in SCHEMA_MAP_KEYS {
        if let Some(Value::Object(subs)) = map.get_mut(key) {
            subs.values_mut().for_each(optional_not_null);
        }
    }
    for key in SCHEMA_LIST_KEYS {
        if let Some(Value::Array(subs)) = map.get_mut(key) {
            subs.iter_mut().for_each(optional_not_null);
        }
    }
}

/// `null` out of one property's `type` list or `anyOf` (a lone remaining branch takes the
/// `anyOf`'s place when their keywords do not collide).
fn drop_null(prop: &mut Value) {
    let Value::Object(map) = prop else { return };
    let null = Value::from("null");
    if let Some(Value::Array(types)) = map.get_mut("type")
        && types.len() > 1
    {
        types.retain(|t| *t != null);
    }
    let Some(Value::Array(branches)) = map.get_mut("anyOf") else { return };
    if branches.len() > 1 {
        branches.retain(|b| b.get("type") != Some(&null) || b.as_object().is_some_and(|b| b.len() > 1));
    }
    if branches.len() == 1
        && let Some(Value::Object(only)) = branches.first().cloned()
        && only.keys().all(|k| !map.contains_key(k))
    {
        map.remove("anyOf");
        map.extend(only);
    }
}

/// Tidies a tool's input schema (descriptions kept).
pub fn input(schema: &mut Map<String, Value>) {
    let mut value = Value::Object(std::mem::take(schema));
    optional_not_null(&mut value);
    tidy_schema(&mut value, true, 0);
    // A definition's own description is its Rust type's doc; the property using it has its own.
    if let Some(Value::Object(defs)) = value.get_mut("$defs") {
        for def in defs.values_mut() {
            if let Value::Object(def) = def {
                def.remove("description");
            }
        }
    }
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
            split_type_list(&mut out);
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
                    "opt": {"anyOf": [{"type": "object"}, {"type": "null"}]},
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

    #[test]
    fn type_lists_become_any_of_branches_with_their_own_keywords() {
        let Value::Object(mut map) = json!({"type": "object", "required": ["cursor", "keys", "when", "both"], "properties": {
            "cursor": {"type": ["string", "null"], "description": "kept", "default": null},
            "keys": {"type": ["array", "null"], "items": {"type": "string"}, "maxItems": 3},
            "when": {"type": ["string", "integer", "null"], "format": "date-time", "minimum": 0},
            "one": {"type": ["integer"]},
            "both": {"type": ["number", "null"], "anyOf": [{"minimum": 1}, {"maximum": -1}]}
        }}) else {
            panic!("object")
        };
        input(&mut map);
        assert_eq!(
            Value::Object(map),
            json!({"type": "object", "required": ["cursor", "keys", "when", "both"], "properties": {
                "cursor": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "kept", "default": null},
                "keys": {"anyOf": [{"type": "array", "items": {"type": "string"}, "maxItems": 3}, {"type": "null"}]},
                "when": {"anyOf": [
                    {"type": "string", "format": "date-time"}, {"type": "integer", "minimum": 0}, {"type": "null"}
                ]},
                "one": {"type": "integer"},
                "both": {"allOf": [
                    {"anyOf": [{"minimum": 1}, {"maximum": -1}]},
                    {"anyOf": [{"type": "number"}, {"type": "null"}]}
                ]}
            }})
        );
        // A nested type list (inside a moved `items`) is split too.
        let Value::Object(mut nested) =
            json!({"type": ["array", "null"], "items": {"type": ["integer", "null"], "format": "uint32"}})
        else {
            panic!("object")
        };
        input(&mut nested);
        assert_eq!(
            Value::Object(nested),
            json!({"anyOf": [
                {"type": "array", "items": {"anyOf": [{"type": "integer"}, {"type": "null"}]}},
                {"type": "null"}
            ]})
        );
    }

    #[test]
    fn optional_input_properties_are_not_also_nullable() {
        let Value::Object(mut map) = json!({"type": "object", "required": ["id"], "properties": {
            "id": {"type": ["integer", "null"]},
            "cursor": {"type": ["string", "null"], "description": "d"},
            "after": {"type": ["string", "integer", "null"]},
            "sort": {"anyOf": [{"$ref": "#/$defs/Sort"}, {"type": "null"}], "description": "d"},
            "inner": {"type": "object", "properties": {"x": {"type": ["number", "null"]}}}
        }}) else {
            panic!("object")
        };
        input(&mut map);
        assert_eq!(
            Value::Object(map),
            json!({"type": "object", "required": ["id"], "properties": {
                "id": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                "cursor": {"type": "string", "description": "d"},
                "after": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                "sort": {"$ref": "#/$defs/Sort", "description": "d"},
                "inner": {"type": "object", "properties": {"x": {"type": "number"}}}
            }})
        );
    }
}
