//! What the user asked to install: `name`, or `name@REQ` with a semver
//! requirement, as cargo reads them (`^1.2`, `=0.3.1`, `>=1, <2`, `1.2` = `^1.2`).

use crate::error::{Error, Result};
use crate::registry::name::PluginName;
use semver::VersionReq;

/// A validated `name[@REQ]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginSpec {
    pub name: PluginName,
    pub requirement: Option<Requirement>,
}

/// A semver requirement with the text it was given as: the receipt records
/// `~1.2` and errors repeat it, not semver's rewriting (`1.2` is `^1.2`).
#[derive(Debug, Clone, PartialEq)]
pub struct Requirement {
    pub req: VersionReq,
    /// As given, trimmed.
    pub given: String,
}

impl Requirement {
    pub fn parse(text: &str) -> std::result::Result<Requirement, semver::Error> {
        let given = text.trim();
        Ok(Requirement {
            req: VersionReq::parse(given)?,
            given: given.to_string(),
        })
    }

    pub fn matches(&self, version: &semver::Version) -> bool {
        self.req.matches(version)
    }
}

impl PluginSpec {
    /// Parses `name` or `name@REQ`; the name is checked first, so a hostile
    /// one is refused whatever follows it.
    pub fn parse(text: &str) -> Result<PluginSpec> {
        let (name, requirement) = match text.split_once('@') {
            Some((name, req)) => (name, Some(req)),
            None => (text, None),
        };
        let name = PluginName::parse(name)?;
        let requirement = match requirement {
            None => None,
            Some(req) => Some(Requirement::parse(req).map_err(|e| Error::InvalidRequest {
                value: text.to_string(),
                reason: format!("'{req}' is not a semver requirement ({e}); write e.g. {name}@^1.2, {name}@=0.3.1 or {name}@\">=1, <2\""),
            })?),
        };
        Ok(PluginSpec { name, requirement })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_name_has_no_requirement() {
        let spec = PluginSpec::parse("colmask").unwrap();
        assert_eq!(spec.name.as_str(), "colmask");
        assert_eq!(spec.requirement, None);
    }

    #[test]
    fn requirements_parse_as_cargo_reads_them() {
        for (text, req) in [
            ("colmask@^1.2", "^1.2"),
            ("colmask@=0.3.1", "=0.3.1"),
            ("colmask@>=1,<2", ">=1, <2"),
            ("colmask@>=1, <2", ">=1, <2"),
            ("colmask@1.2", "^1.2"),
            ("colmask@*", "*"),
        ] {
            let spec = PluginSpec::parse(text).unwrap();
            let requirement = spec.requirement.unwrap();
            assert_eq!(requirement.req.to_string(), req, "{text}");
            assert_eq!(requirement.given, text.split_once('@').unwrap().1, "{text}");
        }
    }

    #[test]
    fn a_malformed_requirement_is_an_invalid_request() {
        for text in [
            "colmask@",
            "colmask@banana",
            "colmask@^1.2.3.4",
            "colmask@>=1,,<2",
        ] {
            let err = PluginSpec::parse(text).unwrap_err();
            assert!(
                matches!(err, Error::InvalidRequest { .. }),
                "{text}: {err:?}"
            );
        }
    }

    #[test]
    fn a_hostile_name_is_refused_before_the_requirement() {
        for text in ["../x@^1", "a/b@1", "@1.0"] {
            assert!(
                matches!(PluginSpec::parse(text), Err(Error::InvalidName { .. })),
                "{text}"
            );
        }
    }
}
