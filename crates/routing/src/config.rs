//! The engine's settings: the server-wide defaults a number's settings may override, the fixed
//! timings of product.md, and the seed that makes every random choice reproducible.

/// Settings of one [`Engine`](crate::Engine), fixed for its life but for the account's
/// [`OutboundPolicy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// Seconds one agent rings before the next is tried, when the number does not say
    /// (`[routing] ring_timeout_s`).
    pub ring_timeout_s: u32,
    /// Seconds a call may wait for an agent before its offline action, when the number does
    /// not say (`[routing] max_wait_s`).
    pub max_wait_s: u32,
    /// Seconds of the offline "ringback" action before 480 (product.md: 30).
    pub offline_ringback_s: u32,
    /// Seconds of the offline "busy" action before 486 (product.md: 5).
    pub offline_busy_s: u32,
    /// Longest voicemail, in seconds (product.md: 5 minutes).
    pub voicemail_max_s: u32,
    /// Seconds of silence that end a voicemail (product.md: 10).
    pub voicemail_silence_s: u32,
    /// Seed of the generator behind the random distribution: the same seed and the same inputs
    /// give the same choices, so tests and dry runs are reproducible. The driver may seed it
    /// from the clock in production.
    pub seed: u64,
    /// Toll-fraud guard: the international prefixes (country code and more, no `+`) that
    /// forwarded and transferred calls may reach; any other destination is refused before a
    /// leg is created. Empty allows every destination.
    pub allowed_prefixes: Vec<String>,
    /// Most forwarded and transferred legs of the account at once (ringing or connected);
    /// one more is refused before it is created. `None`: no limit.
    pub max_outbound_legs: Option<u32>,
}

/// An account's toll-fraud guard: where its external legs may go and how many at once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutboundPolicy {
    /// International prefixes (no `+`) external legs may reach; empty allows every one.
    pub allowed_prefixes: Vec<String>,
    /// Most external legs at once; `None`: no limit.
    pub max_outbound_legs: Option<u32>,
}

impl OutboundPolicy {
    /// Whether an external leg may go to `to`.
    pub fn allows(&self, to: &centralita_domain::E164) -> bool {
        allowed(&self.allowed_prefixes, to)
    }
}

fn allowed(prefixes: &[String], to: &centralita_domain::E164) -> bool {
    prefixes.is_empty() || prefixes.iter().any(|p| to.digits().starts_with(p.as_str()))
}

impl EngineConfig {
    /// These settings under an account's outbound policy.
    #[must_use]
    pub fn with_policy(mut self, policy: &OutboundPolicy) -> Self {
        self.allowed_prefixes.clone_from(&policy.allowed_prefixes);
        self.max_outbound_legs = policy.max_outbound_legs;
        self
    }

    /// Whether a forward or transfer may go to `to`.
    pub fn destination_allowed(&self, to: &centralita_domain::E164) -> bool {
        allowed(&self.allowed_prefixes, to)
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            ring_timeout_s: 30,
            max_wait_s: 300,
            offline_ringback_s: 30,
            offline_busy_s: 5,
            voicemail_max_s: 300,
            voicemail_silence_s: 10,
            seed: 0,
            allowed_prefixes: Vec::new(),
            max_outbound_legs: None,
        }
    }
}
