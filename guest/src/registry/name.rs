//! Plugin names.
//!
//! A name becomes a file name (`<name>.wasm`, `<name>.sig`) and a directory
//! name (`new`), so it is validated once, here, before anything touches the
//! disk: `../x`, `a/b`, the empty string and anything hidden or odd are refused.
//! The rule is `^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`, less the names Windows
//! keeps for devices: there `con.wasm` (any case, any extension) is the
//! console, not a file, so a plugin named `con` or `nul.x` could never be
//! placed, and a directory holding one could not be copied there.
//!
//! Case is kept: `Foo` and `foo` are two names. Where file names fold case
//! (macOS, Windows) they would be one file, so a plugins directory refuses
//! the second (`plugins_dir::installed::refuse_case_collision`), and so
//! does a plugin set declaring both.

use crate::error::{Error, Result};
use std::fmt;

/// Longest accepted name, in bytes (all accepted characters are ASCII).
pub const MAX_NAME_LEN: usize = 128;

/// The names Windows reserves for devices, upper case (Microsoft's "Naming
/// Files, Paths, and Namespaces" lists COM0 and LPT0 too; the superscript
/// digits it lists are not ASCII, so refused anyway).
const WINDOWS_DEVICES: [&str; 24] = [
    "CON", "PRN", "AUX", "NUL", "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
    "COM8", "COM9", "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Whether Windows takes a file of this name for a device: the part before
/// the first dot is a device name in any case (`NUL`, `con.txt`,
/// `Com1.tar.gz`).
fn is_windows_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name);
    WINDOWS_DEVICES
        .iter()
        .any(|device| stem.eq_ignore_ascii_case(device))
}

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
        if is_windows_device(name) {
            let stem = name.split('.').next().unwrap_or(name);
            return refuse(&format!(
                "'{stem}' is a device name on Windows (CON, PRN, AUX, NUL, COM0-COM9 and \
                 LPT0-LPT9, in any case and with any extension), where a file named \
                 {name}.wasm would be that device, not a plugin"
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
    fn windows_device_names_are_refused_in_any_case_and_with_any_extension() {
        for name in [
            "CON",
            "con",
            "Con",
            "PRN",
            "aux",
            "NUL",
            "nul.foo",
            "con.txt",
            "COM1",
            "com9",
            "LPT1",
            "lpt9.x",
            "Com1.tar.gz",
            "COM0",
            "lpt0",
        ] {
            let Err(Error::InvalidName { reason, .. }) = PluginName::parse(name) else {
                panic!("{name:?} accepted");
            };
            assert!(
                reason.contains("device name on Windows"),
                "{name}: {reason}"
            );
        }
    }

    #[test]
    fn names_that_only_contain_or_resemble_a_device_name_are_accepted() {
        for name in [
            "console",
            "conf",
            "nul-plugin",
            "null",
            "a.con",
            "x.nul.y",
            "COM10",
            "com1x",
            "lpt",
            "LPT10",
            "prn2",
            "auxiliary",
            "com-1",
        ] {
            assert!(PluginName::parse(name).is_ok(), "{name:?} refused");
        }
    }

    #[test]
    fn the_reason_names_the_offending_character() {
        let Err(Error::InvalidName { reason, .. }) = PluginName::parse("a/b") else {
            panic!("a/b accepted");
        };
        assert!(reason.contains("'/'"), "{reason}");
    }
}
