//! The scopes of pacer's MCP endpoint, and the one list of tools that need `activities:write`.

use std::fmt;

/// One scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Read activities, the athlete and the connection (every tool not in [`WRITE_TOOLS`]).
    ActivitiesRead,
    /// Change data: upload or import activities, connect or disconnect the provider.
    ActivitiesWrite,
}

impl Scope {
    /// Every scope, in the order metadata lists them.
    pub const ALL: [Scope; 2] = [Scope::ActivitiesRead, Scope::ActivitiesWrite];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ActivitiesRead => "activities:read",
            Self::ActivitiesWrite => "activities:write",
        }
    }

    /// What the consent page says this scope allows.
    pub const fn description(self) -> &'static str {
        match self {
            Self::ActivitiesRead => "read your activities, athlete profile, statistics and connection status",
            Self::ActivitiesWrite => "upload and import activities, and connect or disconnect Strava",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|sc| sc.as_str() == s)
    }
}

/// The tools that change data and so need [`Scope::ActivitiesWrite`]; every other tool needs
/// [`Scope::ActivitiesRead`].
pub const WRITE_TOOLS: [&str; 4] = ["upload_activity", "import_activities", "connect_provider", "disconnect_provider"];

/// The scope a tool call needs.
pub fn required_for_tool(tool: &str) -> Scope {
    if WRITE_TOOLS.contains(&tool) { Scope::ActivitiesWrite } else { Scope::ActivitiesRead }
}

/// A set of scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes {
    read: bool,
    write: bool,
}

impl Scopes {
    /// Every scope.
    pub const ALL: Scopes = Scopes { read: true, write: true };

    /// Parses a space-separated scope string; unknown scopes are an error naming them. Empty
    /// means [`Scope::ActivitiesRead`] (a client that asks for nothing gets read access).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut out = Self::default();
        for part in text.split_whitespace() {
            match Scope::parse(part) {
                Some(s) => out.insert(s),
                None => {
                    return Err(format!(
                        "unknown scope '{}' (supported: activities:read activities:write)",
                        part.chars().take(64).collect::<String>()
                    ));
                }
            }
        }
        if out.is_empty() {
            out.insert(Scope::ActivitiesRead);
        }
        Ok(out)
    }

    /// Adds `s`.
    pub fn insert(&mut self, s: Scope) {
        match s {
            Scope::ActivitiesRead => self.read = true,
            Scope::ActivitiesWrite => self.write = true,
        }
    }

    /// Whether `s` is in the set.
    pub const fn contains(self, s: Scope) -> bool {
        match s {
            Scope::ActivitiesRead => self.read,
            Scope::ActivitiesWrite => self.write,
        }
    }

    /// Whether every scope of `other` is in this set.
    pub fn covers(self, other: Scopes) -> bool {
        other.iter().all(|s| self.contains(s))
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        !self.read && !self.write
    }

    /// The scopes in the set.
    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Scope::as_str).collect();
        f.write_str(&names.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_formats_and_defaults() {
        let s = Scopes::parse("activities:write  activities:read").unwrap();
        assert_eq!(s, Scopes::ALL);
        assert_eq!(s.to_string(), "activities:read activities:write");
        assert_eq!(Scopes::parse("").unwrap().to_string(), "activities:read");
        assert!(Scopes::parse("activities:read admin").unwrap_err().contains("'admin'"));
        assert!(!Scopes::parse("activities:read").unwrap().covers(Scopes::ALL));
    }

    #[test]
    fn write_tools_need_write() {
        assert_eq!(required_for_tool("upload_activity"), Scope::ActivitiesWrite);
        assert_eq!(required_for_tool("get_activities"), Scope::ActivitiesRead);
        let tools = crate::mcp::tool_names();
        for name in WRITE_TOOLS {
            assert!(tools.iter().any(|t| t == name), "{name} is not a tool");
        }
    }
}
