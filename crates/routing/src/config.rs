//! The engine's settings: the server-wide defaults a number's settings may override, the fixed
//! timings of product.md, and the seed that makes every random choice reproducible.

/// Settings of one [`Engine`](crate::Engine), fixed for its life.
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

impl EngineConfig {
    /// Whether a forward or transfer may go to `to`.
    pub fn destination_allowed(&self, to: &centralita_domain::E164) -> bool {
        let digits = to.as_str().trim_start_matches('+');
        self.allowed_prefixes.is_empty()
            || self.allowed_prefixes.iter().any(|p| digits.starts_with(p.as_str()))
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
