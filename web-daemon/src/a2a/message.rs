//! Which skill an A2A message asks for.
//!
//! A message's `parts` are searched in order for
//! 1. a data part whose `data` is `{"skill": "<tool name>", "arguments": {…}}` (`arguments`
//!    optional), with or without `"kind": "data"` (A2A 0.3 and 1.0 part shapes), else
//! 2. the first non-empty text part. When its first word is a skill, the text is read as
//!    `<tool name> key value key value …`:
//!    - values are numbers when they look like numbers (`5`, `-1.5`), `true`/`false` booleans,
//!      JSON when they start with `[` or `{` (`keys ["heartrate","watts"]`), otherwise strings;
//!    - `"double quoted"` values are always strings (`\"` and `\\` escape);
//!    - `key=value` works too, for a value without spaces; a key may end with `:`.
//!
//!    Any other text (plain language such as "how far did I run?") is [`Asked::NoSkill`]: the
//!    answer lists the skills ([`no_skill_text`]) instead of complaining about its words.
//!
//! Failures name the field (`message.parts`, `text`, `arguments.limit`, `skill`) for a `-32602`
//! error.

use rmcp::model::JsonObject;
use serde_json::{Number, Value};

use super::error::{RpcError, echo};

/// One skill invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct SkillCall {
    pub skill: String,
    pub arguments: JsonObject,
}

/// What a message asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Asked {
    /// A skill and its arguments.
    Call(SkillCall),
    /// A text that does not start with a skill name; `word` is its first word (bounded).
    NoSkill { word: String },
}

/// Invalid message content: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: String,
    pub problem: String,
}

impl Invalid {
    fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self { field: field.into(), problem: problem.into() }
    }
}

impl From<Invalid> for RpcError {
    fn from(e: Invalid) -> Self {
        Self::invalid(&e.field, e.problem)
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

const HOW: &str = "expected a data part {\"skill\": \"<tool name>\", \"arguments\": {...}} \
                   or a text part such as \"get_activities limit 5\"";

/// What `message` (an A2A Message object) asks for, given the `skills` pacer has.
pub fn skill_call(message: &Value, skills: &[String]) -> Result<Asked, Invalid> {
    let parts = match message.get("parts") {
        Some(Value::Array(parts)) if !parts.is_empty() => parts,
        Some(Value::Array(_)) | None | Some(Value::Null) => return Err(Invalid::new("message.parts", HOW)),
        Some(_) => return Err(Invalid::new("message.parts", "must be an array")),
    };
    for (i, part) in parts.iter().enumerate() {
        let Some(data) = part.get("data").and_then(Value::as_object) else { continue };
        let Some(skill) = data.get("skill") else { continue };
        let field = |name: &str| format!("message.parts[{i}].data.{name}");
        let skill = skill.as_str().map(str::trim).filter(|s| !s.is_empty());
        let skill = skill.ok_or_else(|| Invalid::new(field("skill"), "must be a tool name"))?;
        if !skills.iter().any(|s| s == skill) {
            let problem = format!("unknown skill '{}' (available: {})", echo(skill), skills.join(", "));
            return Err(Invalid::new("skill", problem));
        }
        let arguments = match data.get("arguments") {
            None | Some(Value::Null) => JsonObject::new(),
            Some(Value::Object(args)) => args.clone(),
            Some(_) => return Err(Invalid::new(field("arguments"), "must be an object")),
        };
        return Ok(Asked::Call(SkillCall { skill: skill.to_string(), arguments }));
    }
    let text = parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).find(|t| !t.trim().is_empty());
    let Some(text) = text else { return Err(Invalid::new("message.parts", HOW)) };
    let first = text.split_whitespace().next().unwrap_or_default();
    if !skills.iter().any(|s| s == first) {
        return Ok(Asked::NoSkill { word: echo(first) });
    }
    parse_text(text).map(Asked::Call)
}

/// The answer to a text that names no skill: what pacer understands, and its skills.
pub fn no_skill_text(word: &str, skills: &[String]) -> String {
    format!(
        "unknown skill '{word}': pacer runs one skill per message. Start a text part with a skill name and \
         its arguments (e.g. \"get_activities limit 5\"), or send a data part {{\"skill\": \"<skill>\", \
         \"arguments\": {{...}}}}. Skills: {}.",
        skills.join(", ")
    )
}

/// A token of a text command.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// Unquoted: typed by its look.
    Bare(String),
    /// `"…"`: always a string.
    Quoted(String),
    /// `[…]` or `{…}`.
    Json(Value),
}

fn tokens(text: &str) -> Result<Vec<Token>, Invalid> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(Invalid::new("text", "unterminated \"quoted\" value")),
                    Some('"') => break,
                    Some('\\') if matches!(chars.get(i + 1), Some('"' | '\\')) => {
                        s.push(chars[i + 1]);
                        i += 1;
                    }
                    Some(&other) => s.push(other),
                }
                i += 1;
            }
            i += 1;
            out.push(Token::Quoted(s));
        } else if c == '[' || c == '{' {
            let start = i;
            let (mut depth, mut in_string) = (0usize, false);
            while i < chars.len() {
                match chars[i] {
                    '\\' if in_string => i += 1,
                    '"' => in_string = !in_string,
                    '[' | '{' if !in_string => depth += 1,
                    ']' | '}' if !in_string => depth = depth.saturating_sub(1),
                    _ => {}
                }
                i += 1;
                if depth == 0 {
                    break;
                }
            }
            let raw: String = chars[start..i.min(chars.len())].iter().collect();
            let value = serde_json::from_str(&raw)
                .map_err(|e| Invalid::new("text", format!("{raw} is not valid JSON ({e})")))?;
            out.push(Token::Json(value));
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() {
                i += 1;
            }
            out.push(Token::Bare(chars[start..i].iter().collect()));
        }
    }
    Ok(out)
}

/// An unquoted value: number, boolean, or string.
fn typed(raw: &str) -> Value {
    match raw {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        _ => {}
    }
    let numeric_start = raw.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.');
    if numeric_start {
        if let Ok(n) = raw.parse::<i64>() {
            return Value::from(n);
        }
        if let Ok(n) = raw.parse::<u64>() {
            return Value::from(n);
        }
        if let Some(n) = raw.parse::<f64>().ok().and_then(Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(raw.to_string())
}

fn valid_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses `<tool name> key value …` (see the module docs).
pub fn parse_text(text: &str) -> Result<SkillCall, Invalid> {
    let mut tokens = tokens(text)?.into_iter();
    let skill = match tokens.next() {
        Some(Token::Bare(name)) if valid_name(&name) => name,
        _ => return Err(Invalid::new("text", format!("must start with a tool name; {HOW}"))),
    };
    let mut arguments = JsonObject::new();
    while let Some(token) = tokens.next() {
        let Token::Bare(key) = token else {
            return Err(Invalid::new("text", "expected a parameter name before each value"));
        };
        let (key, value) = match key.split_once('=') {
            Some((k, v)) if !v.is_empty() => (k.to_string(), typed(v)),
            Some((k, _)) => (k.to_string(), value_of(k, tokens.next())?),
            None => {
                let k = key.strip_suffix(':').unwrap_or(&key).to_string();
                let v = value_of(&k, tokens.next())?;
                (k, v)
            }
        };
        if !valid_name(&key) {
            return Err(Invalid::new("text", format!("'{key}' is not a parameter name")));
        }
        if arguments.insert(key.clone(), value).is_some() {
            return Err(Invalid::new(format!("arguments.{key}"), "given twice"));
        }
    }
    Ok(SkillCall { skill, arguments })
}

fn value_of(key: &str, token: Option<Token>) -> Result<Value, Invalid> {
    match token {
        Some(Token::Bare(raw)) => Ok(typed(&raw)),
        Some(Token::Quoted(s)) => Ok(Value::String(s)),
        Some(Token::Json(v)) => Ok(v),
        None => Err(Invalid::new(format!("arguments.{key}"), "has no value")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn args(call: &SkillCall) -> Value {
        Value::Object(call.arguments.clone())
    }

    #[test]
    fn text_with_numbers() {
        let call = parse_text("get_activities limit 5").expect("parse");
        assert_eq!(call.skill, "get_activities");
        assert_eq!(args(&call), json!({"limit": 5}));
        assert!(args(&call)["limit"].is_u64(), "a number, not a string");

        let call =
            parse_text("  get_activities   limit 2 page 3 after 2026-01-01T00:00:00Z sport_type Run ").expect("parse");
        assert_eq!(args(&call), json!({"limit": 2, "page": 3, "after": "2026-01-01T00:00:00Z", "sport_type": "Run"}));
        let call = parse_text("get_activity activity_id 12345678901 x -1.5 y 1e3").expect("parse");
        assert_eq!(args(&call), json!({"activity_id": 12345678901_u64, "x": -1.5, "y": 1000.0}));
        assert_eq!(parse_text("get_athlete").expect("parse").arguments, JsonObject::new());
    }

    #[test]
    fn text_with_quotes_json_equals_and_colons() {
        let call = parse_text(r#"upload_activity name "Morning \"tempo\" run" external_id "42" data_type gpx"#)
            .expect("parse");
        assert_eq!(args(&call), json!({"name": "Morning \"tempo\" run", "external_id": "42", "data_type": "gpx"}));
        let call = parse_text(r#"get_activity_streams activity_id=7 keys ["heartrate", "watts"] max_points: 50"#)
            .expect("parse");
        assert_eq!(args(&call), json!({"activity_id": 7, "keys": ["heartrate", "watts"], "max_points": 50}));
        let call = parse_text("x flag true other false word truthy nan NaN").expect("parse");
        assert_eq!(args(&call), json!({"flag": true, "other": false, "word": "truthy", "nan": "NaN"}));
        let call = parse_text(r#"x filter {"a": [1, "]"]}"#).expect("parse");
        assert_eq!(args(&call), json!({"filter": {"a": [1, "]"]}}));
    }

    #[test]
    fn text_errors_name_the_field() {
        let field = |t: &str| parse_text(t).expect_err(t).field;
        assert_eq!(field("get_activities limit"), "arguments.limit");
        assert_eq!(field("get_activities limit 1 limit 2"), "arguments.limit");
        assert_eq!(field(""), "text");
        assert_eq!(field("5 limit 1"), "text");
        assert_eq!(field("\"get_activities\""), "text");
        assert_eq!(field("get_activities \"limit\" 5"), "text");
        assert_eq!(field("get_activities limit \"5"), "text");
        assert_eq!(field("get_activities keys [1, 2"), "text");
        assert_eq!(field("get_activities bad-key 1"), "text");
    }

    fn skills() -> Vec<String> {
        ["get_activities", "get_athlete"].map(String::from).to_vec()
    }

    fn call(m: &Value) -> SkillCall {
        match skill_call(m, &skills()) {
            Ok(Asked::Call(call)) => call,
            other => panic!("{m}: {other:?}"),
        }
    }

    #[test]
    fn data_part_wins_over_text() {
        let m = json!({"role": "user", "parts": [
            {"kind": "text", "text": "get_athlete"},
            {"kind": "data", "data": {"skill": "get_activities", "arguments": {"limit": 3}}}
        ]});
        assert_eq!(
            call(&m),
            SkillCall { skill: "get_activities".into(), arguments: json!({"limit": 3}).as_object().cloned().unwrap() }
        );
        // A2A 1.0 parts carry no `kind`; arguments are optional.
        let m = json!({"role": "ROLE_USER", "parts": [{"data": {"skill": "get_athlete"}}]});
        assert_eq!(call(&m).arguments, JsonObject::new());
        // Data parts without a skill are skipped; then the text part is read.
        let m = json!({"parts": [{"data": {"note": 1}}, {"text": "  "}, {"text": "get_activities limit 2"}]});
        assert_eq!(call(&m).arguments["limit"], 2);
    }

    #[test]
    fn plain_language_names_no_skill() {
        for (text, word) in [
            ("How far did I run last week?", "How"),
            ("what's \"my best", "what's"),
            ("show me 5 runs", "show"),
            ("  delete_everything now", "delete_everything"),
            ("\"get_activities\" limit 5", "\"get_activities\""),
        ] {
            let m = json!({"parts": [{"text": text}]});
            assert_eq!(skill_call(&m, &skills()), Ok(Asked::NoSkill { word: word.into() }), "{text}");
        }
        let long = json!({"parts": [{"text": "x".repeat(10_000)}]});
        let Ok(Asked::NoSkill { word }) = skill_call(&long, &skills()) else { panic!("no skill") };
        assert!(word.chars().count() <= crate::a2a::error::MAX_ECHO_CHARS + 1, "bounded echo");
        let answer = no_skill_text("How", &skills());
        assert!(
            answer.starts_with("unknown skill 'How'") && answer.contains("get_activities, get_athlete"),
            "{answer}"
        );
    }

    #[test]
    fn message_errors_name_the_field() {
        let field = |m: Value| skill_call(&m, &skills()).expect_err("invalid").field;
        assert_eq!(field(json!({})), "message.parts");
        assert_eq!(field(json!({"parts": []})), "message.parts");
        assert_eq!(field(json!({"parts": "x"})), "message.parts");
        assert_eq!(field(json!({"parts": [{"data": {"x": 1}}]})), "message.parts");
        assert_eq!(field(json!({"parts": [{"text": "a"}, {"data": {"skill": 5}}]})), "message.parts[1].data.skill");
        assert_eq!(field(json!({"parts": [{"data": {"skill": "delete_everything"}}]})), "skill");
        assert_eq!(
            field(json!({"parts": [{"data": {"skill": "get_athlete", "arguments": [1]}}]})),
            "message.parts[0].data.arguments"
        );
        assert_eq!(
            field(json!({"parts": [{"text": "get_activities limit"}]})),
            "arguments.limit",
            "a named skill's arguments are checked"
        );
    }
}
