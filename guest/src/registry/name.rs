//! Plugin names.
//!
//! A name becomes a file name (`<name>.wasm`, `<name>.sig`) and a directory
//! name (`new`), so it is validated once, here, before anything touches the
//! disk: `../x`, `a/b`, the empty string and anything hidden or odd are refused.
//! The rule is `^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`.

use crate::error::{Error, Result};
use std::fmt;

/// Longest accepted name, in bytes (all accepted characters are ASCII).
pub const MAX_NAME_LEN: usize = 128;

/// A name that is safe to use as a file name in the plugins directory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PluginName(String);

impl PluginName {
    pub fn parse(name: &str) -> Result<PluginName> {
        let refuse = |reason: &str| {
            Err(Error::InvalidName {
                name: name.to_string(),
                reason: reason.to_string(),
            })
        };
        let Some(first) = name.chars().next() else {
            return refuse("the name is empty");
        };
        if name.len() > MAX_NAME_LEN {
            return refuse("names are at most 128 characters");
        }
        if !first.is_ascii_alphanumeric() {
            return refuse("names start with a letter or digit");
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        {
            let shown = if bad.is_control() {
                format!("{:?}", bad)
            } else {
                format!("'{bad}'")
            };
            return refuse(&format!(
                "{shown} is not allowed: names use only letters, digits, '.', '_' and '-'"
            ));
        }
        Ok(PluginName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PluginName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(name: &str) -> bool {
        matches!(PluginName::parse(name), Err(Error::InvalidName { .. }))
    }

    #[test]
    fn ordinary_names_are_accepted() {
        for name in [
            "colmask",
            "a",
            "A1",
            "my-plugin",
            "my_plugin",
            "v1.2",
            "0x",
            "a..b",
        ] {
            assert_eq!(PluginName::parse(name).unwrap().as_str(), name);
        }
        let longest = "a".repeat(MAX_NAME_LEN);
        assert!(PluginName::parse(&longest).is_ok());
    }

    #[test]
    fn names_that_could_escape_the_directory_are_refused() {
        for name in [
            "", "..", ".", "../x", "a/b", "/abs", "a\\b", ".hidden", "-flag", "_x",
        ] {
            assert!(refused(name), "{name:?} should be refused");
        }
    }

    #[test]
    fn odd_characters_and_overlong_names_are_refused() {
        for name in ["a b", "a\0b", "a\nb", "émile", "a:b", "a*b", "a%2f"] {
            assert!(refused(name), "{name:?} should be refused");
        }
        assert!(refused(&"a".repeat(MAX_NAME_LEN + 1)));
    }

    #[test]
    fn the_reason_names_the_offending_character() {
        let Err(Error::InvalidName { reason, .. }) = PluginName::parse("a/b") else {
            panic!("a/b accepted");
        };
        assert!(reason.contains("'/'"), "{reason}");
    }
}
