//! `/etc/tracer/tracer.toml`: the daemon's configuration.
//!
//! Every key is optional; a missing file is the defaults. Flags given on the command line win
//! over the file.
//!
//! ```toml
//! socket = "/run/tracer/tracer.sock"
//! group = "tracing"
//! scripts_dir = "/etc/tracer/scripts.d"
//! allow_destructive = false
//! client_queue = 256
//! metrics_addr = "127.0.0.1:9477"
//! ```

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;

/// The default socket path.
pub const DEFAULT_SOCKET: &str = "/run/tracer/tracer.sock";
/// The default configuration file.
pub const DEFAULT_CONFIG: &str = "/etc/tracer/tracer.toml";
/// The default standing scripts directory.
pub const DEFAULT_SCRIPTS_DIR: &str = "/etc/tracer/scripts.d";
/// The default group whose members may use the daemon.
pub const DEFAULT_GROUP: &str = "tracing";

/// The daemon's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the socket is.
    pub socket: PathBuf,
    /// The group whose members, besides root, may use the daemon; the socket's group when it
    /// exists.
    pub group: String,
    /// Where standing scripts are.
    pub scripts_dir: PathBuf,
    /// Whether programs with destructive actions may load (when the client asks with `-w`).
    pub allow_destructive: bool,
    /// How many frames of records may wait for one client before later ones are dropped.
    pub client_queue: usize,
    /// Where to serve `OpenMetrics` over HTTP (`HOST:PORT`); no metrics when absent.
    pub metrics_addr: Option<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            socket: PathBuf::from(DEFAULT_SOCKET),
            group: DEFAULT_GROUP.to_owned(),
            scripts_dir: PathBuf::from(DEFAULT_SCRIPTS_DIR),
            allow_destructive: false,
            client_queue: 256,
            metrics_addr: None,
        }
    }
}

impl Config {
    /// Reads `path`; a missing file gives the defaults.
    pub fn read(path: &Path) -> anyhow::Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Config::default());
            }
            Err(error) => {
                return Err(error).with_context(|| format!("failed to read `{}`", path.display()));
            }
        };
        Config::parse(&text).with_context(|| format!("failed to read `{}`", path.display()))
    }

    /// Parses the TOML text of a configuration file.
    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let config: Config = toml::from_str(text)?;
        if config.client_queue == 0 {
            anyhow::bail!("client_queue must be at least 1");
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_keys_take_the_defaults() {
        let config = Config::parse("allow_destructive = true\ngroup = \"wheel\"\n").unwrap();
        assert!(config.allow_destructive);
        assert_eq!(config.group, "wheel");
        assert_eq!(config.socket, PathBuf::from(DEFAULT_SOCKET));
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        assert!(Config::parse("alow_destructive = true").is_err());
        assert!(Config::parse("client_queue = 0").is_err());
        assert!(Config::parse("group = 3").is_err());
    }
}
