//! The crate that built a plugin file, for `publish`: a project made by
//! `new` builds `target/wasm32-wasip2/release/NAME.wasm`, whose name
//! carries no version, while its `Cargo.toml` says it. Reading it saves the
//! publisher repeating the version (and the description) on the command
//! line, where the two would drift apart.
//!
//! Only cargo's own layout is recognised: `ROOT/target/TRIPLE/PROFILE/FILE`
//! (or `ROOT/target/PROFILE/FILE`), with the package in `ROOT/Cargo.toml` or
//! one of its workspace's members (`members` entries as paths, or `dir/*`).
//! A custom `CARGO_TARGET_DIR` is not traced back; `--version` covers it.

use crate::error::{Error, Result};
use crate::sandbox::{self, Links};
use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// A `Cargo.toml` is read whole; real ones are a few KiB.
const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// Workspace members looked at, at most (a `dir/*` glob may match many).
const MAX_MEMBERS: usize = 256;

/// What `publish` takes from the package that built a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub version: String,
    pub description: Option<String>,
    /// The `Cargo.toml` they were read from.
    pub manifest: PathBuf,
}

/// The package whose library is the file `artifact` (`my_plugin.wasm` for
/// package `my-plugin`), when the file lies in cargo's target directory and
/// the manifest is readable. `None` when it does not, or no package of the
/// workspace builds a file of that name.
pub fn find(artifact: &Path) -> Result<Option<Package>> {
    // Locate: the directory above `target`, two or three levels up.
    let Some(stem) = artifact.file_stem().and_then(|s| s.to_str()) else {
        return Ok(None);
    };
    let Some(root) = artifact
        .ancestors()
        .skip(2)
        .take(2)
        .find(|dir| dir.file_name().is_some_and(|n| n == "target"))
        .and_then(Path::parent)
    else {
        return Ok(None);
    };
    let root_manifest = root.join("Cargo.toml");
    let Some(root_table) = read(&root_manifest)? else {
        return Ok(None);
    };

    // Match: the root package, then each member's.
    let workspace = root_table.get("workspace").and_then(Value::as_table);
    let inherited = workspace
        .and_then(|w| w.get("package"))
        .and_then(Value::as_table);
    if let Some(found) = package_named(&root_table, stem, inherited, &root_manifest)? {
        return Ok(Some(found));
    }
    // A member that cannot be read is skipped, not fatal: it is most
    // likely not the package wanted, and cargo would name it when building.
    for manifest in members(root, workspace)? {
        let Ok(Some(table)) = read(&manifest) else {
            continue;
        };
        if let Some(found) = package_named(&table, stem, inherited, &manifest)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The `[package]` of `table` if its library file is named `stem`, with
/// `version.workspace = true` (and the description) taken from `inherited`.
fn package_named(
    table: &Table,
    stem: &str,
    inherited: Option<&Table>,
    manifest: &Path,
) -> Result<Option<Package>> {
    let Some(package) = table.get("package").and_then(Value::as_table) else {
        return Ok(None);
    };
    let Some(name) = package.get("name").and_then(Value::as_str) else {
        return Ok(None);
    };
    // Cargo names the library after `[lib] name`, else the package name
    // with `-` as `_`.
    let lib = table
        .get("lib")
        .and_then(|l| l.get("name"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| name.replace('-', "_"));
    if lib != stem && name != stem {
        return Ok(None);
    }
    let field = |key: &str| -> Option<String> {
        match package.get(key)? {
            Value::String(text) => Some(text.clone()),
            Value::Table(t) if t.get("workspace").and_then(Value::as_bool) == Some(true) => {
                inherited?.get(key)?.as_str().map(str::to_string)
            }
            _ => None,
        }
    };
    // Cargo itself defaults an absent version to 0.0.0; a package that
    // leaves it out is not meant to be released, so ask for --version.
    let Some(version) = field("version") else {
        return Err(Error::InvalidRequest {
            value: manifest.display().to_string(),
            reason: format!("package '{name}' states no version that can be read; pass --version"),
        });
    };
    // A `"""` description spans lines; an index entry's is one line.
    let description = field("description")
        .map(|text| text.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|text| !text.is_empty());
    Ok(Some(Package {
        version,
        description,
        manifest: manifest.to_path_buf(),
    }))
}

/// The manifests of the workspace's members, in the order listed.
fn members(root: &Path, workspace: Option<&Table>) -> Result<Vec<PathBuf>> {
    let listed = workspace
        .and_then(|w| w.get("members"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut manifests = Vec::new();
    for member in listed {
        match member.strip_suffix("/*") {
            // `crates/*`: every directory in it (other globs are left to
            // --version).
            Some(dir) if !dir.contains(['*', '?', '[']) => {
                let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                    continue;
                };
                // Directories only, as cargo takes them (a README beside
                // the members is none).
                let mut dirs: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .map(|e| e.path().join("Cargo.toml"))
                    .collect();
                dirs.sort();
                manifests.extend(dirs);
            }
            Some(_) => {}
            None if !member.contains(['*', '?', '[']) => {
                manifests.push(root.join(member).join("Cargo.toml"))
            }
            None => {}
        }
    }
    manifests.truncate(MAX_MEMBERS);
    Ok(manifests)
}

/// A manifest as a table; `None` when there is none (or it is not
/// granted: the host grants the crate's directory only when it sees cargo's
/// layout). One that exists and does not parse is an error: the publisher
/// would otherwise be asked for a --version their Cargo.toml seems to give.
fn read(path: &Path) -> Result<Option<Table>> {
    if sandbox::check_granted(path).is_err() || !sandbox::exists(path)? {
        return Ok(None);
    }
    let too_large = || Error::InvalidRequest {
        value: path.display().to_string(),
        reason: format!("larger than {MAX_MANIFEST_BYTES} bytes; pass --version"),
    };
    let bytes =
        sandbox::read_at_most(path, MAX_MANIFEST_BYTES, Links::Follow)?.ok_or_else(too_large)?;
    let text = String::from_utf8(bytes).map_err(|_| Error::InvalidRequest {
        value: path.display().to_string(),
        reason: "not UTF-8, so not a Cargo.toml; pass --version".into(),
    })?;
    text.parse::<Table>()
        .map(Some)
        .map_err(|e| Error::InvalidRequest {
            value: path.display().to_string(),
            reason: format!(
                "does not parse as TOML ({}); fix it or pass --version",
                e.message()
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fx(tempfile::TempDir);

    impl Fx {
        fn new() -> Fx {
            Fx(tempfile::tempdir().unwrap())
        }
        fn write(&self, rel: &str, text: &str) -> PathBuf {
            let path = self.0.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            path
        }
    }

    #[test]
    fn a_new_projects_build_is_traced_to_its_package() {
        let fx = Fx::new();
        fx.write(
            "p/Cargo.toml",
            "[package]\nname = \"col-mask\"\nversion = \"0.3.1\"\ndescription = \"Masks\"\n",
        );
        let file = fx.write("p/target/wasm32-wasip2/release/col_mask.wasm", "x");
        let found = find(&file).unwrap().unwrap();
        assert_eq!(found.version, "0.3.1");
        assert_eq!(found.description.as_deref(), Some("Masks"));
        assert_eq!(found.manifest, fx.0.path().join("p/Cargo.toml"));
        // Another file in the same directory is no package's.
        let other = fx.write("p/target/wasm32-wasip2/release/other.wasm", "x");
        assert_eq!(find(&other).unwrap(), None);
        // Not cargo's layout: nothing is read.
        let loose = fx.write("p/col_mask.wasm", "x");
        assert_eq!(find(&loose).unwrap(), None);
    }

    #[test]
    fn a_workspace_member_inherits_the_workspace_version() {
        let fx = Fx::new();
        fx.write(
            "w/Cargo.toml",
            "[workspace]\nmembers = [\"tools/cli\", \"plugins/*\"]\n\
             [workspace.package]\nversion = \"2.0.0\"\ndescription = \"\"\"\nShared,\n  over lines\"\"\"\n",
        );
        fx.write(
            "w/tools/cli/Cargo.toml",
            "[package]\nname = \"cli\"\nversion = \"9.9.9\"\n",
        );
        // Neither a file beside the members nor a broken member stops it.
        fx.write("w/plugins/README.md", "members");
        fx.write("w/plugins/broken/Cargo.toml", "[package\n");
        fx.write(
            "w/plugins/rowfilter/Cargo.toml",
            "[package]\nname = \"rowfilter\"\nversion.workspace = true\n\
             description.workspace = true\n[lib]\nname = \"rows\"\n",
        );
        let file = fx.write("w/target/wasm32-wasip2/debug/rows.wasm", "x");
        let found = find(&file).unwrap().unwrap();
        assert_eq!(found.version, "2.0.0");
        assert_eq!(found.description.as_deref(), Some("Shared, over lines"));
        assert!(found.manifest.ends_with("plugins/rowfilter/Cargo.toml"));
    }

    #[test]
    fn a_broken_manifest_is_named() {
        let fx = Fx::new();
        fx.write("p/Cargo.toml", "[package\nname = ");
        let file = fx.write("p/target/wasm32-wasip2/release/p.wasm", "x");
        let err = find(&file).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidRequest { value, reason }
                if value.ends_with("p/Cargo.toml") && reason.contains("--version")),
            "{err:?}"
        );
        fx.write("p/Cargo.toml", "[package]\nname = \"p\"\n");
        assert!(find(&file).is_err(), "no version stated");
    }
}
