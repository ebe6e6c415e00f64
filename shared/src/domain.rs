//! Domain types both processes need: ids, tiers, redacted secrets and admin views.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id read from storage or the wire.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A tenant's id. Every query on tenant data takes one by type.
    TenantId
);
id_type!(
    /// A user's id (unique across tenants).
    UserId
);

/// A secret string (API key, password, token). `Debug` and `Display` print `***`; the value is
/// only reachable through [`Secret::expose`], so it cannot reach a log line by accident.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: String) -> Self {
        Self(value)
    }
    /// The secret itself. Call only where the value must leave the process.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// API-key tier; decides the rate-limit quota. Ordered `Free < Premium < Enterprise` (a user's
/// allowance is the highest tier they may give their own keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// The lowest quota ([`Tier::default_per_minute`]).
    #[default]
    Free,
    /// Ten times free.
    Premium,
    /// Ten times premium.
    Enterprise,
}

impl Tier {
    /// Every tier, lowest first.
    pub const ALL: [Tier; 3] = [Tier::Free, Tier::Premium, Tier::Enterprise];

    /// The default quota in requests per minute: the one home of these numbers (the config's
    /// `[limits]` overrides them; migration 003 seeded the same values, which a test checks).
    pub const fn default_per_minute(self) -> u32 {
        match self {
            Self::Free => 100,
            Self::Premium => 1_000,
            Self::Enterprise => 10_000,
        }
    }

    /// The lowercase name used on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Premium => "premium",
            Self::Enterprise => "enterprise",
        }
    }
}

impl std::str::FromStr for Tier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "free" => Ok(Self::Free),
            "premium" => Ok(Self::Premium),
            "enterprise" => Ok(Self::Enterprise),
            other => Err(format!("unknown tier '{other}' (expected free, premium or enterprise)")),
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A connectable fitness provider: the one home of provider names. Its lowercase name
/// ([`ProviderId::as_str`]) is what storage, token AAD, routes (`/oauth/{provider}/…`), tool
/// parameters and config use; nothing else spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderId {
    /// Strava (API v3), or pacer's sandbox that speaks its API.
    #[default]
    Strava,
}

impl ProviderId {
    /// Every provider, in a stable order.
    pub const ALL: [ProviderId; 1] = [ProviderId::Strava];

    /// The lowercase name used on the wire, in routes and in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Strava => "strava",
        }
    }

    /// The name to show a person, e.g. `Strava`.
    pub const fn display_name(self) -> &'static str {
        match self {
            Self::Strava => "Strava",
        }
    }

    /// The supported names, comma-separated (for error messages).
    pub fn supported() -> String {
        Self::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
    }
}

impl std::str::FromStr for ProviderId {
    type Err = String;
    /// Case-insensitive; surrounding spaces are ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| format!("unsupported provider '{wanted}' (supported: {})", Self::supported()))
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user as shown to administrators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: UserId,
    pub email: String,
    pub tenant_id: TenantId,
    pub tenant: String,
    pub created_at: String,
}

/// An API key's public facts: never the secret or its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub tier: Tier,
    pub key_prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub is_active: bool,
}

/// The subset of [`KeyInfo`] returned when a key is created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewKeyInfo {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub tier: Tier,
    pub key_prefix: String,
    pub created_at: String,
}

/// Warning shown with every newly created key.
pub const NEW_KEY_WARNING: &str = "Store securely - won't be shown again";

/// A freshly created key: the only time the full secret is revealed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyCreated {
    pub api_key: Secret,
    pub key_info: NewKeyInfo,
    pub warning: String,
}

impl fmt::Debug for KeyCreated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyCreated").field("key_info", &self.key_info).finish_non_exhaustive()
    }
}

/// Daemon status for `pacerd status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusInfo {
    pub version: String,
    pub uptime_s: u64,
    pub pid: u32,
    pub socket: String,
    pub http_addr: String,
    pub db_path: String,
    pub tenants: u64,
    pub users: u64,
    pub api_keys: u64,
    pub active_api_keys: u64,
}
