//! The server's configuration: defaults, then a TOML file, then `CENTRALITA_<SECTION>_<KEY>`
//! environment variables, then command-line flags (interface.md fixes the names).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Every setting of `centralita serve`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Config {
    /// Where the database, audio, recordings and voicemails live.
    pub(crate) data_dir: PathBuf,
    /// The HTTP API and web UI.
    pub(crate) http: Http,
    /// SIP signalling.
    pub(crate) sip: Sip,
    /// RTP media.
    pub(crate) rtp: Rtp,
    /// The platform operator.
    pub(crate) operator: OperatorSection,
    /// Call routing defaults.
    pub(crate) routing: Routing,
    /// Uploaded audio.
    pub(crate) audio: AudioSection,
    /// Stopping the server.
    pub(crate) shutdown: Shutdown,
    /// Logging.
    pub(crate) log: Log,
    /// Carriers' SIP trunks.
    pub(crate) trunk: Vec<Trunk>,
    /// What calls over the trunk cost, and where they may go.
    pub(crate) billing: Billing,
}

/// `[billing]`: the rate table of outbound, forwarded and transferred legs, and the default
/// limit of the toll-fraud guard (the destinations are each account's: `PATCH /v1/account`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Billing {
    /// ISO 4217 currency of the rates.
    pub(crate) currency: String,
    /// Billing increment in seconds (60: per started minute; 1: per second).
    pub(crate) increment_s: u32,
    /// Fewest seconds billed for an answered leg.
    pub(crate) minimum_s: u32,
    /// Per-minute prices by destination prefix; the longest matching prefix wins.
    pub(crate) rates: Vec<RateEntry>,
    /// Most external legs (outbound, forwarded, transferred) one account may have up at once,
    /// unless the account sets its own; 0: no limit.
    pub(crate) max_outbound_legs: u32,
}

/// One `[[billing.rates]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RateEntry {
    /// Destination prefix, e.g. `"346"`.
    pub(crate) prefix: String,
    /// Price of one minute as a decimal string, e.g. `"0.0240"` (never a float).
    pub(crate) per_minute: String,
}

impl Default for Billing {
    fn default() -> Self {
        Self {
            currency: "EUR".into(),
            increment_s: 60,
            minimum_s: 0,
            rates: Vec::new(),
            max_outbound_legs: 0,
        }
    }
}

/// `[http]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Http {
    /// Address the API listens on.
    pub(crate) listen: SocketAddr,
    /// Largest upload; larger ones get 413.
    pub(crate) max_upload_bytes: usize,
}

/// `[sip]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Sip {
    /// UDP and TCP on the same port.
    pub(crate) listen: SocketAddr,
    /// Address written in Via/Contact/SDP; empty means the bound one.
    pub(crate) public_address: String,
    /// Digest algorithms offered, in challenge order.
    pub(crate) digest_algorithms: Vec<String>,
    /// The digest realm. Changing it invalidates every stored SIP credential.
    pub(crate) realm: String,
    /// Most TCP connections open at once; more are refused.
    pub(crate) max_tcp_connections: usize,
    /// Shortest registration accepted (shorter gets 423 Interval Too Brief).
    pub(crate) min_expires: u32,
    /// Longest registration granted (longer is shortened).
    pub(crate) max_expires: u32,
}

/// `[rtp]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Rtp {
    /// Ports for media, e.g. `20000-29999`.
    pub(crate) port_range: String,
}

/// `[operator]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct OperatorSection {
    /// The operator API token; empty means generate one on first start, print it once and
    /// keep only its hash.
    pub(crate) token: String,
}

/// `[routing]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Routing {
    /// How long one agent rings.
    pub(crate) ring_timeout_s: u32,
    /// How long a call waits for an agent before the offline action.
    pub(crate) max_wait_s: u32,
    /// National tone plan for ringback, busy and beep.
    pub(crate) tone_plan: String,
}

/// `[audio]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct AudioSection {
    /// Longest audio message accepted at upload; longer ones get 413.
    pub(crate) max_duration_s: u32,
}

/// `[shutdown]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Shutdown {
    /// On SIGTERM, how long calls in progress may go on before they are ended.
    pub(crate) drain_timeout_s: u32,
}

/// `[log]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Log {
    /// A `tracing` filter, e.g. `info` or `centralita=debug,info`; `RUST_LOG` wins if set.
    pub(crate) level: String,
    /// `text` for people, `json` for log collectors.
    pub(crate) format: LogFormat,
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per line.
    Json,
}

/// `[[trunk]]`: a carrier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Trunk {
    /// Shown in logs and history.
    pub(crate) name: String,
    /// Networks allowed to send calls to our numbers, e.g. `203.0.113.0/24`.
    pub(crate) inbound_from: Vec<String>,
    /// Where forwarded, transferred and outbound calls go.
    pub(crate) outbound_uri: String,
    /// Digest username, if the carrier challenges us.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) username: Option<String>,
    /// Digest password, if the carrier challenges us.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) password: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./centralita-data"),
            http: Http::default(),
            sip: Sip::default(),
            rtp: Rtp::default(),
            operator: OperatorSection::default(),
            routing: Routing::default(),
            audio: AudioSection::default(),
            shutdown: Shutdown::default(),
            log: Log::default(),
            billing: Billing::default(),
            trunk: vec![Trunk {
                name: "carrier".into(),
                inbound_from: vec!["127.0.0.1/32".into()],
                outbound_uri: "sip:127.0.0.1:5070".into(),
                username: None,
                password: None,
            }],
        }
    }
}

impl Default for Http {
    fn default() -> Self {
        Self { listen: SocketAddr::from(([127, 0, 0, 1], 8080)), max_upload_bytes: 20_971_520 }
    }
}

impl Default for Sip {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 5060)),
            public_address: String::new(),
            digest_algorithms: vec!["MD5".into(), "SHA-256".into()],
            realm: "centralita".into(),
            max_tcp_connections: 4096,
            min_expires: 60,
            max_expires: 3600,
        }
    }
}

impl Default for Rtp {
    fn default() -> Self {
        Self { port_range: "20000-29999".into() }
    }
}

impl Default for Routing {
    fn default() -> Self {
        Self { ring_timeout_s: 30, max_wait_s: 300, tone_plan: "es".into() }
    }
}

impl Default for AudioSection {
    fn default() -> Self {
        Self { max_duration_s: 600 }
    }
}

impl Default for Shutdown {
    fn default() -> Self {
        Self { drain_timeout_s: 3600 }
    }
}

impl Default for Log {
    fn default() -> Self {
        Self { level: "info".into(), format: LogFormat::Text }
    }
}

/// Settings given as command-line flags (they win over everything else).
#[derive(Debug, Default, Serialize)]
pub(crate) struct Overrides {
    /// `--data-dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) data_dir: Option<PathBuf>,
    /// `--http-listen`.
    #[serde(skip_serializing_if = "Option::is_none", rename = "http.listen")]
    pub(crate) http_listen: Option<SocketAddr>,
    /// `--sip-listen`.
    #[serde(skip_serializing_if = "Option::is_none", rename = "sip.listen")]
    pub(crate) sip_listen: Option<SocketAddr>,
}

/// The sections whose keys an environment variable can set as `CENTRALITA_<SECTION>_<KEY>`.
const SECTIONS: [&str; 9] =
    ["http", "sip", "rtp", "operator", "routing", "audio", "shutdown", "log", "billing"];

/// Turns `http_max_upload_bytes` (from `CENTRALITA_HTTP_MAX_UPLOAD_BYTES`) into the key path
/// `http.max_upload_bytes`. Keys contain underscores, so only the known section prefix splits.
fn env_key_path(key: &str) -> String {
    let key = key.to_ascii_lowercase();
    for section in SECTIONS {
        if let Some(rest) = key.strip_prefix(section).and_then(|r| r.strip_prefix('_')) {
            return format!("{section}.{rest}");
        }
    }
    key
}

/// The figment every source is merged into, in precedence order.
fn figment(file: Option<&Path>, overrides: &Overrides) -> Figment {
    let mut figment = Figment::from(Serialized::defaults(Config::default()));
    if let Some(file) = file {
        figment = figment.merge(Toml::file_exact(file));
    }
    let env = Env::prefixed("CENTRALITA_")
        .ignore(&["config"])
        .map(|key| env_key_path(key.as_str()).into());
    figment = figment.merge(env);
    let mut flags = Figment::new();
    if let Some(dir) = &overrides.data_dir {
        flags = flags.merge(Serialized::default("data_dir", dir));
    }
    if let Some(addr) = overrides.http_listen {
        flags = flags.merge(Serialized::default("http.listen", addr));
    }
    if let Some(addr) = overrides.sip_listen {
        flags = flags.merge(Serialized::default("sip.listen", addr));
    }
    figment.merge(flags)
}

impl Config {
    /// Loads and checks the configuration.
    pub(crate) fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Self> {
        if let Some(file) = file
            && !file.is_file()
        {
            bail!("configuration file {} does not exist", file.display());
        }
        let config: Self = figment(file, overrides).extract().context("invalid configuration")?;
        config.check()?;
        Ok(config)
    }

    /// Rules serde cannot express.
    fn check(&self) -> anyhow::Result<()> {
        if self.data_dir.as_os_str().is_empty() {
            bail!("data_dir must not be empty");
        }
        if self.http.max_upload_bytes == 0 {
            bail!("http.max_upload_bytes must be positive");
        }
        if self.sip.digest_algorithms.is_empty() {
            bail!("sip.digest_algorithms must list at least one of MD5, SHA-256");
        }
        for algorithm in &self.sip.digest_algorithms {
            if !matches!(algorithm.as_str(), "MD5" | "SHA-256") {
                bail!("sip.digest_algorithms: {algorithm:?} is not supported (MD5, SHA-256)");
            }
        }
        if self.sip.realm.is_empty() || self.sip.realm.contains('"') {
            bail!("sip.realm must be non-empty and contain no double quote");
        }
        if self.sip.max_tcp_connections == 0 {
            bail!("sip.max_tcp_connections must be positive");
        }
        if self.sip.min_expires == 0 || self.sip.min_expires > self.sip.max_expires {
            bail!("sip.min_expires must be positive and at most sip.max_expires");
        }
        self.rtp_ports()?;
        if !(5..=300).contains(&self.routing.ring_timeout_s) {
            bail!("routing.ring_timeout_s must be between 5 and 300");
        }
        if !(10..=3600).contains(&self.routing.max_wait_s) {
            bail!("routing.max_wait_s must be between 10 and 3600");
        }
        if !TONE_PLANS.contains(&self.routing.tone_plan.as_str()) {
            bail!(
                "routing.tone_plan {:?} is unknown (known: {})",
                self.routing.tone_plan,
                TONE_PLANS.join(", ")
            );
        }
        self.rate_table()?;
        if self.audio.max_duration_s == 0 {
            bail!("audio.max_duration_s must be positive");
        }
        for (i, trunk) in self.trunk.iter().enumerate() {
            if trunk.name.is_empty() {
                bail!("trunk[{i}].name must not be empty");
            }
            for net in &trunk.inbound_from {
                parse_net(net).with_context(|| format!("trunk[{i}].inbound_from"))?;
            }
            if !(trunk.outbound_uri.starts_with("sip:") || trunk.outbound_uri.starts_with("sips:"))
            {
                bail!("trunk[{i}].outbound_uri must be a sip: URI, e.g. sip:carrier.example:5060");
            }
            if trunk.username.is_some() != trunk.password.is_some() {
                bail!("trunk[{i}]: username and password go together");
            }
        }
        Ok(())
    }

    /// The rate table of `[billing]`, checked by the same rules as everywhere else.
    pub(crate) fn rate_table(&self) -> anyhow::Result<centralita_domain::RateTable> {
        let raw = serde_json::json!({
            "currency": self.billing.currency,
            "increment_s": self.billing.increment_s,
            "minimum_s": self.billing.minimum_s,
            "rates": self.billing.rates,
        });
        centralita_domain::parse_document(raw.to_string().as_bytes())
            .map_err(|e| anyhow::anyhow!("billing: {e}"))
    }

    /// The routing engine's settings from `[routing]` and `[billing]`; each account's engine
    /// adds its own outbound policy.
    pub(crate) fn engine_config(&self) -> centralita_routing::EngineConfig {
        centralita_routing::EngineConfig {
            ring_timeout_s: self.routing.ring_timeout_s,
            max_wait_s: self.routing.max_wait_s,
            max_outbound_legs: Some(self.billing.max_outbound_legs).filter(|&max| max > 0),
            ..centralita_routing::EngineConfig::default()
        }
    }

    /// The RTP port range as numbers.
    pub(crate) fn rtp_ports(&self) -> anyhow::Result<(u16, u16)> {
        let parse = || -> Option<(u16, u16)> {
            let (low, high) = self.rtp.port_range.split_once('-')?;
            Some((low.trim().parse().ok()?, high.trim().parse().ok()?))
        };
        match parse() {
            Some((low, high)) if low >= 1024 && low < high => Ok((low, high)),
            _ => bail!(
                "rtp.port_range {:?} must be LOW-HIGH with 1024 <= LOW < HIGH <= 65535",
                self.rtp.port_range
            ),
        }
    }
}

/// Tone plans the media engine knows.
pub(crate) const TONE_PLANS: [&str; 3] = ["es", "us", "uk"];

/// Parses `addr/len` (or a bare address, meaning one host).
pub(crate) fn parse_net(text: &str) -> anyhow::Result<ipnet::IpNet> {
    if let Ok(net) = text.parse::<ipnet::IpNet>() {
        return Ok(net);
    }
    let addr: std::net::IpAddr = text
        .parse()
        .with_context(|| format!("{text:?} is not an address or a network (a.b.c.d/len)"))?;
    Ok(ipnet::IpNet::from(addr))
}

#[cfg(test)]
#[allow(clippy::result_large_err, reason = "figment::Jail's closures return figment::Error")]
mod tests {
    use super::*;

    #[test]
    fn env_keys_split_only_at_the_section() {
        assert_eq!(env_key_path("http_max_upload_bytes"), "http.max_upload_bytes");
        assert_eq!(env_key_path("data_dir"), "data_dir");
        assert_eq!(env_key_path("sip_public_address"), "sip.public_address");
        assert_eq!(env_key_path("trunk"), "trunk");
    }

    #[test]
    fn precedence_is_flag_env_file_default() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "c.toml",
                "data_dir = \"/from/file\"\n[http]\nlisten = \"127.0.0.1:1111\"\nmax_upload_bytes = 5\n[routing]\ntone_plan = \"us\"\n",
            )?;
            jail.set_env("CENTRALITA_HTTP_LISTEN", "127.0.0.1:2222");
            jail.set_env("CENTRALITA_DATA_DIR", "/from/env");
            let overrides =
                Overrides { data_dir: Some("/from/flag".into()), ..Overrides::default() };
            let config = Config::load(Some(Path::new("c.toml")), &overrides)
                .map_err(|e| format!("{e:#}"))?;
            assert_eq!(config.data_dir, PathBuf::from("/from/flag"));
            assert_eq!(config.http.listen, "127.0.0.1:2222".parse().unwrap());
            assert_eq!(config.http.max_upload_bytes, 5);
            assert_eq!(config.routing.tone_plan, "us");
            assert_eq!(config.routing.max_wait_s, 300);
            Ok(())
        });
    }

    #[test]
    fn every_key_has_a_default() {
        figment::Jail::expect_with(|_| {
            let config = Config::load(None, &Overrides::default()).map_err(|e| format!("{e:#}"))?;
            assert_eq!(config, Config::default());
            assert_eq!(config.rtp_ports().unwrap(), (20000, 29999));
            Ok(())
        });
    }

    #[test]
    fn mistakes_are_refused_with_the_key() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("typo.toml", "[http]\nlisten_addr = \"127.0.0.1:1\"\n")?;
            let err =
                Config::load(Some(Path::new("typo.toml")), &Overrides::default()).unwrap_err();
            assert!(format!("{err:#}").contains("listen_addr"), "{err:#}");
            jail.create_file("ports.toml", "[rtp]\nport_range = \"30000-20000\"\n")?;
            let err =
                Config::load(Some(Path::new("ports.toml")), &Overrides::default()).unwrap_err();
            assert!(format!("{err:#}").contains("port_range"), "{err:#}");
            jail.create_file("trunk.toml", "[[trunk]]\nname = \"x\"\ninbound_from = [\"10.0.0.0/33\"]\noutbound_uri = \"sip:x\"\n")?;
            let err =
                Config::load(Some(Path::new("trunk.toml")), &Overrides::default()).unwrap_err();
            assert!(format!("{err:#}").contains("inbound_from"), "{err:#}");
            jail.set_env("CENTRALITA_ROUTING_TONE_PLAN", "mars");
            let err = Config::load(None, &Overrides::default()).unwrap_err();
            assert!(format!("{err:#}").contains("tone_plan"), "{err:#}");
            Ok(())
        });
    }

    #[test]
    fn trunks_can_come_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "CENTRALITA_TRUNK",
                r#"[{name="c2", inbound_from=["192.0.2.0/24"], outbound_uri="sip:192.0.2.1:5060"}]"#,
            );
            let config = Config::load(None, &Overrides::default()).map_err(|e| format!("{e:#}"))?;
            assert_eq!(config.trunk.len(), 1);
            assert_eq!(config.trunk[0].name, "c2");
            Ok(())
        });
    }

    #[test]
    fn billing_rates_are_read_exactly_and_checked() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "rates.toml",
                "[billing]\nincrement_s = 1\nmax_outbound_legs = 20\n\n[[billing.rates]]\nprefix = \"346\"\nper_minute = \"0.0240\"\n",
            )?;
            let config = Config::load(Some(Path::new("rates.toml")), &Overrides::default())
                .map_err(|e| format!("{e:#}"))?;
            let table = config.rate_table().map_err(|e| format!("{e:#}"))?;
            let to = centralita_domain::E164::parse("+34600111222").unwrap();
            assert_eq!(table.price(&to, 30_000).unwrap().cost.amount, "0.0120");
            assert_eq!(config.engine_config().max_outbound_legs, Some(20));
            for (file, text, key) in [
                (
                    "float.toml",
                    "[[billing.rates]]\nprefix = \"34\"\nper_minute = 0.01\n",
                    "per_minute",
                ),
                (
                    "prefix.toml",
                    "[[billing.rates]]\nprefix = \"+3x\"\nper_minute = \"0.01\"\n",
                    "prefix",
                ),
                ("allowed.toml", "[billing]\nallowed_prefixes = [\"34\"]\n", "allowed_prefixes"),
                ("currency.toml", "[billing]\ncurrency = \"euro\"\n", "currency"),
            ] {
                jail.create_file(file, text)?;
                let err = Config::load(Some(Path::new(file)), &Overrides::default()).unwrap_err();
                assert!(format!("{err:#}").contains(key), "{file}: {err:#}");
            }
            Ok(())
        });
    }
}
