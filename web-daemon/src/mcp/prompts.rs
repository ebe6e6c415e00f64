//! MCP prompts: two conversation starters over the existing tools (`prompts/list`,
//! `prompts/get`). They fetch nothing themselves; each returns one user message that tells the
//! model which tools to call and what to make of the answers.
//!
//! Arguments are client text: bounded ([`MAX_ARGUMENT_CHARS`]), validated, and a bad one is
//! `-32602` naming it, like tool arguments.

use rmcp::ErrorData;
use rmcp::model::{GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage, Role};

/// The longest prompt argument accepted (characters).
pub const MAX_ARGUMENT_CHARS: usize = 100;

/// The two prompts pacer offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PacerPrompt {
    WeeklyReview,
    RaceReadiness,
}

impl PacerPrompt {
    const ALL: [Self; 2] = [Self::WeeklyReview, Self::RaceReadiness];

    fn name(self) -> &'static str {
        match self {
            Self::WeeklyReview => "weekly_review",
            Self::RaceReadiness => "race_readiness",
        }
    }

    fn definition(self) -> Prompt {
        match self {
            Self::WeeklyReview => Prompt::new(
                self.name(),
                Some("Review the last weeks of training: volume per sport, key sessions, fitness and form, and what to do next week."),
                Some(vec![PromptArgument::new("weeks")
                    .with_description("Weeks to review, 1–26 (default 4)")
                    .with_required(false)]),
            )
            .with_title("Weekly training review"),
            Self::RaceReadiness => Prompt::new(
                self.name(),
                Some("Assess readiness for a race: personal records, training load and form, a realistic goal and a taper."),
                Some(vec![
                    PromptArgument::new("race")
                        .with_description("The race, e.g. `half marathon` or `olympic triathlon`")
                        .with_required(true),
                    PromptArgument::new("date")
                        .with_description("Race day as YYYY-MM-DD")
                        .with_required(false),
                ]),
            )
            .with_title("Race readiness"),
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// Every prompt's definition, in a fixed order.
pub fn definitions() -> Vec<Prompt> {
    PacerPrompt::ALL.into_iter().map(PacerPrompt::definition).collect()
}

/// The messages of prompt `name` with `arguments`; `-32602` for an unknown prompt or a bad
/// argument.
pub fn get(name: &str, arguments: Option<&JsonObject>) -> Result<GetPromptResult, ErrorData> {
    let prompt = PacerPrompt::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = PacerPrompt::ALL.iter().map(|p| p.name()).collect();
        ErrorData::invalid_params(format!("unknown prompt; pacer offers: {}", known.join(", ")), None)
    })?;
    let text = match prompt {
        PacerPrompt::WeeklyReview => {
            let weeks = match argument(arguments, "weeks")? {
                None => 4,
                Some(w) => w
                    .parse::<u32>()
                    .ok()
                    .filter(|w| (1..=26).contains(w))
                    .ok_or_else(|| bad_argument("weeks", "a whole number from 1 to 26"))?,
            };
            format!(
                "Review my training of the last {weeks} weeks.\n\
                 1. Call get_weekly_summary with weeks={weeks} for time, distance and load per sport and week.\n\
                 2. Call get_training_load with days={days} for fitness (CTL), fatigue (ATL) and form (TSB).\n\
                 3. Call get_activities for this week's sessions.\n\
                 Then tell me, briefly: how volume per sport compares with the weeks before, my \
                 longest and hardest sessions, where fitness and form are heading, and one or two \
                 concrete suggestions for next week. Use km and min/km.",
                days = (weeks * 7).min(120)
            )
        }
        PacerPrompt::RaceReadiness => {
            let race = argument(arguments, "race")?.ok_or_else(|| bad_argument("race", "required"))?;
            let when = match argument(arguments, "date")? {
                None => "soon".to_owned(),
                Some(d) => {
                    chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                        .map_err(|_| bad_argument("date", "a date as YYYY-MM-DD"))?;
                    format!("on {d}")
                }
            };
            format!(
                "I have a {race} {when}. Assess my readiness.\n\
                 1. Call get_personal_records for my best efforts at the relevant distances.\n\
                 2. Call get_training_load with days=90 for fitness (CTL), fatigue (ATL) and form (TSB).\n\
                 3. Call get_weekly_summary with weeks=12 for my recent volume and long sessions.\n\
                 Then give me a realistic goal time with the reasoning, whether my form will be \
                 positive on race day, the gaps in my preparation, and a taper plan for the \
                 final two weeks. Use km and min/km."
            )
        }
    };
    Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
        .with_description(prompt.definition().description.unwrap_or_default()))
}

/// Argument `name` as text (numbers accepted as their digits), bounded; `None` when absent.
fn argument(arguments: Option<&JsonObject>, name: &str) -> Result<Option<String>, ErrorData> {
    let text = match arguments.and_then(|a| a.get(name)) {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::String(s)) => s.trim().to_owned(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(_) => return Err(bad_argument(name, "text")),
    };
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > MAX_ARGUMENT_CHARS || text.chars().any(char::is_control) {
        return Err(bad_argument(name, &format!("at most {MAX_ARGUMENT_CHARS} characters on one line")));
    }
    Ok(Some(text))
}

fn bad_argument(name: &str, expected: &str) -> ErrorData {
    ErrorData::invalid_params(format!("prompt argument '{name}': {expected}"), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: serde_json::Value) -> JsonObject {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn prompts_validate_their_arguments() {
        assert_eq!(definitions().len(), 2);
        let review = get("weekly_review", None).map(|r| r.messages.len());
        assert_eq!(review.ok(), Some(1));
        assert!(get("weekly_review", Some(&args(serde_json::json!({"weeks": "27"})))).is_err());
        let race = get("race_readiness", Some(&args(serde_json::json!({"race": "10k", "date": "2026-10-04"}))));
        assert!(race.is_ok());
        let missing = get("race_readiness", None).err().map(|e| e.message.to_string());
        assert!(missing.is_some_and(|m| m.contains("'race'")));
        assert!(get("race_readiness", Some(&args(serde_json::json!({"race": "x", "date": "04/10"})))).is_err());
        assert!(get("nope", None).is_err());
    }
}
