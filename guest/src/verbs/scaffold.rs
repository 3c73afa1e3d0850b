//! `new`: a plugin project that builds into a component out of the box.
//!
//! The project is created whole or not at all: an existing directory is
//! refused, and a failure halfway removes what was written.

use crate::error::{Error, Result};
use crate::registry::name::PluginName;
use crate::sandbox;
use crate::wit::ScaffoldReport;
use std::path::{Path, PathBuf};

/// (path inside the project, template)
const TEMPLATES: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        include_str!("../../templates/Cargo.toml.tmpl"),
    ),
    (
        "rust-toolchain.toml",
        include_str!("../../templates/toolchain.toml.tmpl"),
    ),
    (".gitignore", include_str!("../../templates/gitignore.tmpl")),
    ("src/lib.rs", include_str!("../../templates/lib.rs.tmpl")),
    (
        "wit/plugin.wit",
        include_str!("../../templates/plugin.wit.tmpl"),
    ),
    ("README.md", include_str!("../../templates/README.md.tmpl")),
];

pub fn scaffold(name: &str, parent: &Path) -> Result<ScaffoldReport> {
    let name = PluginName::parse(name)?;
    let dir = parent.join(name.as_str());
    sandbox::check_granted(&dir)?;
    match std::fs::create_dir(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::AlreadyExists(dir.display().to_string()));
        }
        Err(e) => return Err(Error::io(&dir, "create", &e)),
    }
    match write_files(&dir, &name) {
        Ok(files) => Ok(ScaffoldReport {
            dir: dir.display().to_string(),
            files,
        }),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            Err(e)
        }
    }
}

fn write_files(dir: &Path, name: &PluginName) -> Result<Vec<String>> {
    let package = package_name(name);
    let artifact = package.replace('-', "_");
    let mut files = Vec::new();
    for (relative, template) in TEMPLATES {
        let path: PathBuf = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, "create", &e))?;
        }
        let text = template
            .replace("{{name}}", name.as_str())
            .replace("{{package}}", &package)
            .replace("{{artifact}}", &artifact);
        std::fs::write(&path, text).map_err(|e| Error::io(&path, "write", &e))?;
        files.push(relative.to_string());
    }
    Ok(files)
}

/// A Cargo package name for the plugin: Cargo refuses `.` and a leading digit.
pub fn package_name(name: &PluginName) -> String {
    let package = name.as_str().replace('.', "-");
    if package.starts_with(|c: char| c.is_ascii_digit()) {
        format!("plugin-{package}")
    } else {
        package
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_is_written_with_the_name_filled_in() {
        let parent = tempfile::tempdir().unwrap();
        let report = scaffold("colmask", parent.path()).unwrap();
        let dir = parent.path().join("colmask");
        assert_eq!(report.dir, dir.display().to_string());
        for (relative, _) in TEMPLATES {
            let text = std::fs::read_to_string(dir.join(relative)).unwrap();
            assert!(
                !text.contains("{{"),
                "{relative} has an unfilled placeholder"
            );
        }
        let cargo = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(cargo.contains("name = \"colmask\""));
        assert!(cargo.contains("crate-type = [\"cdylib\"]"));
        let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        assert!(lib.contains("\"colmask\".to_string()"));
        assert_eq!(report.files.len(), TEMPLATES.len());
    }

    #[test]
    fn an_existing_directory_is_refused_and_left_alone() {
        let parent = tempfile::tempdir().unwrap();
        std::fs::create_dir(parent.path().join("taken")).unwrap();
        std::fs::write(parent.path().join("taken/keep.txt"), "mine").unwrap();
        let err = scaffold("taken", parent.path()).unwrap_err();
        assert!(matches!(err, Error::AlreadyExists(_)));
        assert_eq!(
            std::fs::read_to_string(parent.path().join("taken/keep.txt")).unwrap(),
            "mine"
        );
    }

    #[test]
    fn a_hostile_name_creates_nothing() {
        let parent = tempfile::tempdir().unwrap();
        for name in ["../x", "a/b", ""] {
            assert!(matches!(
                scaffold(name, parent.path()),
                Err(Error::InvalidName { .. })
            ));
        }
        assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 0);
    }

    #[test]
    fn package_names_are_valid_for_cargo() {
        let p = |n: &str| package_name(&PluginName::parse(n).unwrap());
        assert_eq!(p("colmask"), "colmask");
        assert_eq!(p("col.mask"), "col-mask");
        assert_eq!(p("0x"), "plugin-0x");
    }
}
