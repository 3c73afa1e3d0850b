//! `wasm-plugin.toml`: the plugins a destination should hold, where they
//! come from, and the defaults (`dest`, `trust_root`, the `default`
//! registry) the verbs take when a flag is not given.
//!
//! ```toml
//! dest = "plugins"            # relative paths resolve against this file's directory
//! trust_root = "trust"
//! world = "wit/plugin.wit"    # the runtime's world: only plugins that fit it
//! world_name = "plugin"       # when that package has several worlds
//!
//! [registries]                # searched in this order
//! default = "https://plugins.example.com/index.json"
//! internal = "registry/index.json"
//!
//! [plugins]
//! colmask = "^1.2"                                   # from the default registry
//! rowfilter = { version = "=0.3.1", registry = "internal" }
//!
//! [policy]                    # what the plugins may import (globs)
//! allow_imports = ["wasi:io/*", "wasi:clocks/*"]
//! deny_imports = ["wasi:sockets/*"]
//! ```
//!
//! Unknown keys are errors naming the key; a file that does not parse
//! points at the line. Everything is checked here, before any verb runs:
//! names, requirements, registry references.

use crate::error::{Error, Result};
use crate::registry::name::PluginName;
use crate::sandbox::{self, Links};
use crate::wit::{DeclaredPlugin, Manifest};
use semver::VersionReq;
use serde::Deserialize;
use std::path::Path;

/// The largest manifest read: a plugin set, not a data file.
const MAX_MANIFEST_BYTES: u64 = 1 << 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    dest: Option<String>,
    trust_root: Option<String>,
    world: Option<String>,
    world_name: Option<String>,
    #[serde(default)]
    registries: toml::Table,
    #[serde(default)]
    plugins: toml::Table,
    #[serde(default)]
    policy: RawPolicy,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    allow_imports: Vec<String>,
    #[serde(default)]
    deny_imports: Vec<String>,
}

/// Reads and checks the manifest at `path` (absolute, inside a grant).
pub fn read(path: &Path) -> Result<Manifest> {
    let shown = path.display().to_string();
    // Its lock is named after it: `x.lock` would be written over itself.
    if path.extension().is_some_and(|e| e == "lock") {
        return Err(Error::InvalidRequest {
            value: shown,
            reason: "a manifest cannot be named *.lock: its lock would be written over it; \
                     name it *.toml"
                .to_string(),
        });
    }
    let bytes =
        sandbox::read_at_most(path, MAX_MANIFEST_BYTES, Links::Follow)?.ok_or_else(|| {
            invalid(
                &shown,
                1,
                1,
                format!("larger than {MAX_MANIFEST_BYTES} bytes"),
            )
        })?;
    let text =
        String::from_utf8(bytes).map_err(|e| invalid(&shown, 1, 1, format!("not UTF-8 ({e})")))?;
    parse(&shown, path.parent().unwrap_or(Path::new("/")), &text)
}

/// Parses manifest `text` read from `shown`, in directory `dir`.
pub fn parse(shown: &str, dir: &Path, text: &str) -> Result<Manifest> {
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|span| position(text, span.start))
            .unwrap_or((1, 1));
        invalid(shown, line, column, e.message().to_string())
    })?;
    // Errors found after parsing point at the line that holds the key.
    let at = |key: &str| line_of(text, key);
    let resolve = |value: &str| -> String {
        if is_url(value) {
            value.to_string()
        } else {
            crate::sandbox::normalize(&dir.join(value))
                .display()
                .to_string()
        }
    };

    let registries = registries(shown, &raw.registries, &at, &resolve)?;
    let default_registry = if raw.registries.contains_key("default") {
        Some("default".to_string())
    } else if registries.len() == 1 {
        Some(registries[0].0.clone())
    } else {
        None
    };

    // Plugins: `name = "REQ"` or `name = { version = "REQ", registry = "R" }`.
    let mut plugins = Vec::new();
    for (name, value) in &raw.plugins {
        let known = Known {
            earlier: &plugins,
            registries: &raw.registries,
            no_default: default_registry.is_none() && !registries.is_empty(),
        };
        plugins.push(declared(shown, &at, name, value, known)?);
    }
    if !plugins.is_empty() && registries.is_empty() {
        return Err(invalid(
            shown,
            1,
            1,
            "plugins are declared but [registries] lists none".into(),
        ));
    }

    if raw.world_name.is_some() && raw.world.is_none() {
        let reason = "world_name names a world of the package `world` points at; set world too";
        return Err(invalid(shown, at("world_name"), 1, reason.into()));
    }
    if let Some(world) = &raw.world
        && (world.is_empty() || is_url(world))
    {
        let reason = "world must be a path: a .wit file or a WIT package directory";
        return Err(invalid(shown, at("world"), 1, reason.into()));
    }

    Ok(Manifest {
        path: shown.to_string(),
        dest: raw.dest.as_deref().map(resolve),
        trust_root: raw.trust_root.as_deref().map(resolve),
        registries,
        default_registry,
        plugins,
        allow_imports: raw.policy.allow_imports,
        deny_imports: raw.policy.deny_imports,
        world: raw.world.as_deref().map(resolve),
        world_name: raw.world_name,
    })
}

/// `[registries]`, in order; each a path, an http(s) URL or an oci:// one
/// (`resolve`d against the manifest's directory).
fn registries(
    shown: &str,
    table: &toml::Table,
    at: &dyn Fn(&str) -> u32,
    resolve: &dyn Fn(&str) -> String,
) -> Result<Vec<(String, String)>> {
    let mut registries = Vec::new();
    for (name, value) in table {
        let Some(location) = value.as_str().filter(|s| !s.is_empty()) else {
            return Err(invalid(
                shown,
                at(name),
                1,
                format!("registries.{name} must be a path or URL (a string)"),
            ));
        };
        if location.to_ascii_lowercase().starts_with("file:") {
            return Err(invalid(
                shown,
                at(name),
                1,
                format!("registries.{name}: write a path, not a file: URL"),
            ));
        }
        registries.push((name.clone(), resolve(location)));
    }
    Ok(registries)
}

/// What a `[plugins]` entry is checked against.
struct Known<'a> {
    /// The entries before it.
    earlier: &'a [DeclaredPlugin],
    /// `[registries]` as written.
    registries: &'a toml::Table,
    /// Registries are listed, and none is the default.
    no_default: bool,
}

/// One `[plugins]` entry: `name = "REQ"` or `name = { version = "REQ",
/// registry = "R" }`.
fn declared(
    shown: &str,
    at: &dyn Fn(&str) -> u32,
    name: &str,
    value: &toml::Value,
    known: Known<'_>,
) -> Result<DeclaredPlugin> {
    PluginName::parse(name)?;
    // `Foo` and `foo` would be one file where file names fold case.
    if let Some(other) = known
        .earlier
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
    {
        return Err(invalid(
            shown,
            at(name),
            1,
            format!(
                "plugins.{name} and plugins.{} differ only by case; macOS and Windows file \
                 systems fold case, so they would be one file in the plugins directory: \
                 declare one of them",
                other.name
            ),
        ));
    }
    let (requirement, registry) = match value {
        toml::Value::String(req) => (Some(req.clone()), None),
        toml::Value::Table(table) => {
            if let Some(key) = table.keys().find(|k| *k != "version" && *k != "registry") {
                return Err(invalid(
                    shown,
                    1,
                    1,
                    format!("unknown key `{key}` in plugins.{name} (expected version, registry)"),
                ));
            }
            let field = |key: &str| -> Result<Option<String>> {
                match table.get(key) {
                    None => Ok(None),
                    Some(toml::Value::String(s)) => Ok(Some(s.clone())),
                    Some(_) => Err(invalid(
                        shown,
                        at(name),
                        1,
                        format!("plugins.{name}.{key} must be a string"),
                    )),
                }
            };
            (field("version")?, field("registry")?)
        }
        _ => {
            return Err(invalid(
                shown,
                at(name),
                1,
                format!(
                    "plugins.{name} must be a version requirement (\"^1.2\") or a table \
                     ({{ version = \"^1.2\", registry = \"internal\" }})"
                ),
            ));
        }
    };
    let requirement = requirement.filter(|r| r.trim() != "*" && !r.trim().is_empty());
    if let Some(req) = &requirement {
        VersionReq::parse(req).map_err(|e| {
            invalid(
                shown,
                at(name),
                1,
                format!("plugins.{name}: '{req}' is not a version requirement ({e})"),
            )
        })?;
    }
    let registry = match registry {
        Some(r) if !known.registries.contains_key(&r) => {
            return Err(invalid(
                shown,
                at(name),
                1,
                format!("plugins.{name} names registry '{r}', which [registries] does not list"),
            ));
        }
        Some(r) => Some(r),
        None if known.no_default => {
            return Err(invalid(
                shown,
                at(name),
                1,
                format!(
                    "plugins.{name} names no registry and there is no default one; add \
                     registry = \"...\" or a registry called default"
                ),
            ));
        }
        None => None,
    };
    Ok(DeclaredPlugin {
        name: name.to_string(),
        requirement,
        registry,
    })
}

fn is_url(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    ["http://", "https://", "oci://", "oci+http://", "file://"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

/// The 1-based line on which `key` is set (`key =`, `key.x =`, `"key" =`),
/// or 1 when it cannot be found.
fn line_of(text: &str, key: &str) -> u32 {
    let quoted = format!("\"{key}\"");
    text.lines()
        .position(|line| {
            let line = line.trim_start();
            [key, quoted.as_str()].iter().any(|k| {
                line.strip_prefix(k)
                    .is_some_and(|rest| rest.trim_start().starts_with(['=', '.']))
            })
        })
        .map_or(1, |i| i as u32 + 1)
}

/// 1-based line and column of byte `offset` in `text`.
fn position(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line as u32, column as u32)
}

fn invalid(path: &str, line: u32, column: u32, message: String) -> Error {
    Error::ManifestInvalid {
        path: path.to_string(),
        line,
        column,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
dest = "plugins"
trust_root = "trust"

[registries]
default = "https://plugins.example.com/index.json"
internal = "registry/index.json"

[plugins]
colmask = "^1.2"
rowfilter = { version = "=0.3.1", registry = "internal" }
audit-log = "*"
"#;

    #[test]
    fn the_example_parses_with_paths_resolved() {
        let m = parse("/srv/app/wasm-plugin.toml", Path::new("/srv/app"), EXAMPLE).unwrap();
        assert_eq!(m.dest.as_deref(), Some("/srv/app/plugins"));
        assert_eq!(m.trust_root.as_deref(), Some("/srv/app/trust"));
        assert_eq!(
            m.registries,
            [
                (
                    "default".to_string(),
                    "https://plugins.example.com/index.json".to_string()
                ),
                (
                    "internal".to_string(),
                    "/srv/app/registry/index.json".to_string()
                ),
            ]
        );
        assert_eq!(m.default_registry.as_deref(), Some("default"));
        let names: Vec<&str> = m.plugins.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["colmask", "rowfilter", "audit-log"]);
        assert_eq!(m.plugins[1].registry.as_deref(), Some("internal"));
        assert_eq!(m.plugins[2].requirement, None);
    }

    #[test]
    fn mistakes_name_the_key_and_the_line() {
        let check = |text: &str, wanted: &[&str]| {
            let e = parse("/m.toml", Path::new("/"), text).unwrap_err();
            let shown = format!("{e:?}");
            for w in wanted {
                assert!(shown.contains(w), "{text:?}: {shown}");
            }
        };
        check(
            "dest = \"p\"\ndestination = \"q\"\n",
            &["destination", "line: 2"],
        );
        check("dest = \n", &["line: 1"]);
        check(
            "[registries]\na = \"x\"\n[plugins]\nc = { version = \"1\", regsitry = \"a\" }\n",
            &["regsitry"],
        );
        check(
            "[registries]\na = \"x\"\n[plugins]\nc = \"not a req\"\n",
            &["not a version requirement"],
        );
        check(
            "[registries]\na = \"x\"\n[plugins]\nc = { registry = \"b\" }\n",
            &["registry 'b'"],
        );
        check(
            "[registries]\na = \"x\"\nb = \"y\"\n[plugins]\nc = \"1\"\n",
            &["no default"],
        );
        check(
            "[registries]\na = \"x\"\n[plugins]\n\"../c\" = \"1\"\n",
            &["InvalidName"],
        );
        check("[plugins]\nc = \"1\"\n", &["lists none"]);
        check(
            "[registries]\na = \"x\"\n[plugins]\nfoo = \"1\"\nbar = \"1\"\nFoo = \"2\"\n",
            &["plugins.Foo and plugins.foo differ only by case", "line: 6"],
        );
        check(
            "[registries]\na = \"x\"\n[plugins]\nnul = \"1\"\n",
            &["InvalidName", "device name on Windows"],
        );
        check("world_name = \"plugin\"\n", &["set world too", "line: 1"]);
        check(
            "dest = \"p\"\nworld = \"https://x/plugin.wit\"\n",
            &["world must be a path", "line: 2"],
        );
    }

    #[test]
    fn the_world_resolves_against_the_manifest() {
        let text = "world = \"wit/plugin.wit\"\nworld_name = \"plugin\"\n";
        let m = parse("/srv/app/m.toml", Path::new("/srv/app"), text).unwrap();
        assert_eq!(m.world.as_deref(), Some("/srv/app/wit/plugin.wit"));
        assert_eq!(m.world_name.as_deref(), Some("plugin"));
    }

    #[test]
    fn one_registry_is_the_default() {
        let m = parse(
            "/m.toml",
            Path::new("/d"),
            "[registries]\nonly = \"r/index.json\"\n",
        )
        .unwrap();
        assert_eq!(m.default_registry.as_deref(), Some("only"));
        assert!(m.plugins.is_empty());
    }
}
