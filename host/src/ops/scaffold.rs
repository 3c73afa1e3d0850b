//! Starting a plugin project: [`Installer::scaffold`] writes
//! `<parent>/<name>/` from the component's templates.

use crate::engine::Grants;
use crate::error::Error;
use crate::installer::Installer;
use crate::paths;
use std::path::{Path, PathBuf};

pub use crate::engine::wit::ScaffoldReport;

/// A new plugin project: for [`Installer::scaffold`](crate::Installer::scaffold).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaffoldRequest {
    pub(crate) name: String,
    pub(crate) parent: PathBuf,
}

impl ScaffoldRequest {
    /// Create `<parent>/<name>/`.
    pub fn new(name: impl Into<String>, parent: impl AsRef<Path>) -> Self {
        ScaffoldRequest {
            name: name.into(),
            parent: parent.as_ref().to_path_buf(),
        }
    }
}

impl Installer {
    /// Creates a new plugin project, `<parent>/<name>/`.
    pub fn scaffold(&self, request: &ScaffoldRequest) -> Result<ScaffoldReport, Error> {
        let parent = paths::existing_dir(&request.parent, "--out")?;
        let mut grants = Grants::default();
        grants.write(&parent);
        let report = self.call(grants, false, |i, s| {
            i.call_scaffold(s, &request.name, &paths::guest(&parent))
        })?;
        Ok(report)
    }
}
