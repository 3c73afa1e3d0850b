//! Registry credentials: where they come from and to whom they may go.
//!
//! Only the host ever holds them; the component asks for URLs and never sees
//! a header that carries them. Sources, most specific first: a token given
//! explicitly (`--registry-token-file`, `WASM_PLUGIN_REGISTRY_TOKEN`), then
//! the docker config's `auths` entry for the host (`auth`, the base64 of
//! `user:password`, or an `identitytoken`), read only when a registry asks.
//!
//! This file reads no files (`files` does, with its limits): the
//! `docker_config` fuzz target compiles it on its own.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::collections::HashMap;
use std::path::PathBuf;

/// What the host may present to a registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// A user name and password, for Basic authentication or a token
    /// request.
    Basic {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
    /// A bearer token, presented as is (CI tokens, docker identity tokens).
    Token(String),
}

// Never printed: a credential in a log is a leaked credential.
impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Basic { user, .. } => write!(f, "Basic({user}, <redacted>)"),
            Credential::Token(_) => f.write_str("Token(<redacted>)"),
        }
    }
}

impl Credential {
    /// The `Authorization` header value presenting it directly.
    pub(crate) fn header(&self) -> String {
        match self {
            Credential::Basic { user, password } => {
                format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
            }
            Credential::Token(token) => format!("Bearer {token}"),
        }
    }
}

/// Credentials for registry hosts.
#[derive(Debug, Clone, Default)]
pub struct RegistryCredentials {
    /// A bearer token (for CI), presented to `token_hosts` only: a token
    /// given for one registry must not reach every host that asks.
    pub token: Option<String>,
    /// The `host[:port]`s the token is for (the registries a command names).
    pub token_hosts: Vec<String>,
    /// By `host[:port]`, as the docker config keys them.
    pub hosts: HashMap<String, Credential>,
    /// A docker config whose logins stand in for the hosts `hosts` lacks,
    /// read the first time a registry asks for credentials (never for a
    /// command that needs none), at most 1 MiB of it; one that cannot be
    /// read or parsed holds no logins.
    pub docker_config: Option<PathBuf>,
}

impl RegistryCredentials {
    /// What to present to `host` (`host[:port]`), if anything.
    pub fn for_host(&self, host: &str) -> Option<Credential> {
        let host = host.to_ascii_lowercase();
        match &self.token {
            Some(token)
                if self
                    .token_hosts
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case(&host)) =>
            {
                Some(Credential::Token(token.clone()))
            }
            _ => self.hosts.get(&host).cloned(),
        }
    }
}

/// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub(crate) fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker/config.json"))
}

/// The `auths` of a docker config, keyed by `host[:port]` (docker keys
/// Docker Hub as `https://index.docker.io/v1/`; the scheme and path go).
///
/// `pub(crate)` for the fuzz target `docker_config`, which takes this file
/// in by `#[path]` (so fuzzing builds no wasmtime): keep this file to std,
/// serde, serde_json and base64.
pub(crate) fn parse_docker_config(bytes: &[u8]) -> Result<HashMap<String, Credential>, String> {
    #[derive(serde::Deserialize)]
    struct Config {
        #[serde(default)]
        auths: HashMap<String, Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        auth: Option<String>,
        identitytoken: Option<String>,
    }
    let config: Config = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let mut hosts = HashMap::new();
    for (key, entry) in config.auths {
        let host = key
            .split_once("://")
            .map_or(key.as_str(), |(_, rest)| rest)
            .split('/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let credential = if let Some(token) = entry.identitytoken.filter(|t| !t.is_empty()) {
            Credential::Token(token)
        } else if let Some(auth) = entry.auth.filter(|a| !a.is_empty()) {
            // An entry that is not base64 of user:password is skipped.
            let decoded = STANDARD
                .decode(auth.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            let Some((user, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
                continue;
            };
            Credential::Basic {
                user: user.to_string(),
                password: password.to_string(),
            }
        } else {
            continue;
        };
        hosts.insert(host, credential);
    }
    Ok(hosts)
}

/// Whether `host` (`name[:port]`) is a loopback address, where plain http
/// may carry credentials (as docker allows for local registries).
pub(crate) fn is_loopback(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_config_entries_are_keyed_by_host() {
        let config = br#"{"auths": {
            "127.0.0.1:5000": {"auth": "YWxpY2U6czNjcmV0"},
            "https://index.docker.io/v1/": {"identitytoken": "tok"},
            "ghcr.io": {}
        }}"#;
        let hosts = parse_docker_config(config).unwrap();
        assert_eq!(
            hosts["127.0.0.1:5000"],
            Credential::Basic {
                user: "alice".into(),
                password: "s3cret".into()
            }
        );
        assert_eq!(hosts["index.docker.io"], Credential::Token("tok".into()));
        assert!(!hosts.contains_key("ghcr.io"));
        // A broken entry is skipped, not fatal.
        let hosts =
            parse_docker_config(br#"{"auths": {"h": {"auth": "!!"}, "g": {"auth": "YTpi"}}}"#);
        assert_eq!(hosts.unwrap().len(), 1);
        assert!(parse_docker_config(b"{").is_err());
    }

    /// The fuzz target `docker_config`'s corpus and saved crashes
    /// (`fuzz/corpus/docker_config/`, `fuzz/regressions/docker_config/`),
    /// replayed on every test run (the guest's by a unit test in
    /// `guest/src/fuzzing.rs`).
    #[test]
    fn the_docker_config_fuzz_corpus_parses_without_panicking() {
        let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
        let mut replayed = 0;
        for dir in ["corpus", "regressions"] {
            let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join("docker_config")) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                eprintln!("replaying {}", path.display());
                if let Ok(hosts) = parse_docker_config(&std::fs::read(&path).unwrap()) {
                    hosts.values().for_each(|c| drop(c.header()));
                }
                replayed += 1;
            }
        }
        assert!(replayed > 0, "no corpus for fuzz target docker_config");
    }

    #[test]
    fn a_ci_token_goes_to_the_named_registries_only() {
        let credentials = RegistryCredentials {
            token: Some("t".into()),
            token_hosts: vec!["ghcr.io".into()],
            ..RegistryCredentials::default()
        };
        assert_eq!(
            credentials.for_host("GHCR.io"),
            Some(Credential::Token("t".into()))
        );
        assert_eq!(credentials.for_host("evil.example"), None);
    }

    #[test]
    fn credentials_are_never_printed() {
        let basic = Credential::Basic {
            user: "alice".into(),
            password: "s3cret".into(),
        };
        assert!(!format!("{basic:?}").contains("s3cret"));
        assert!(!format!("{:?}", Credential::Token("t0ken".into())).contains("t0ken"));
    }

    #[test]
    fn loopback_hosts() {
        for host in ["127.0.0.1:5000", "localhost", "[::1]:80", "127.1.2.3"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["example.com", "10.0.0.1:5000", "127.0.0.1.example.com"] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
