//! What each operation returns: the component's own WIT records.
//!
//! `wit/installer.wit` is the one definition of every report. The types
//! here are the ones `wasmtime::component::bindgen!` generates from it,
//! re-exported under their WIT names (`install-report` is
//! [`InstallReport`]), with their WIT doc comments; what the component
//! returns is what the caller gets, with no copy in between. So what a Rust
//! runtime reads here is what a script reads from `wasm-plugin --json` and
//! what another runtime gets from the component (in jco, the same record
//! with camelCase fields).
//!
//! They are `serde::Serialize`: a record as an object of its snake_case
//! fields, an `enum` case as its kebab-case WIT name (`"installed"`).
//!
//! A report's fields are the WIT record's: a field is added to a report
//! only by a new version of the component's interface, and then in every
//! binding at once. They are therefore not `#[non_exhaustive]` (bindgen
//! cannot mark them); match them with `..`.
//!
//! Below: the few methods the library adds to them.

use crate::engine::wit;

pub use wit::{
    AuditReport, AuditedPlugin, CosignReport, DeclaredPlugin, Finding, FindingKind, ForgetReport,
    InstallAction, InstallReport, KeygenReport, LabelledKey, Manifest, MirrorReport,
    OutdatedPlugin, PublishReport, PublisherSpec, Receipt, RegistryEntry, RegistryIndex, RoleSpec,
    ScaffoldReport, SignReport, SyncChange, SyncReport, SyncStep, TrustSignedIndex,
    TrustSignedRoot, TrustSummary, UnfitVersion, UninstallReport, VerifyReport, YankReport,
};

impl Manifest {
    /// The location of the registry a plugin without one comes from.
    pub fn default_registry_location(&self) -> Option<&str> {
        let name = self.default_registry.as_deref()?;
        self.registries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, location)| location.as_str())
    }
}

impl AuditReport {
    /// Whether nothing at all was found.
    pub fn is_clean(&self) -> bool {
        self.stray.is_empty() && self.plugins.iter().all(|p| p.findings.is_empty())
    }
}

impl RoleSpec {
    /// `threshold` of the keys labelled `labels`.
    pub fn new<S: Into<String>>(labels: impl IntoIterator<Item = S>, threshold: u32) -> Self {
        RoleSpec {
            labels: labels.into_iter().map(Into::into).collect(),
            threshold,
        }
    }
}

impl PublisherSpec {
    /// `role` may sign plugins whose name matches one of `names`.
    pub fn new<S: Into<String>>(role: RoleSpec, names: impl IntoIterator<Item = S>) -> Self {
        PublisherSpec {
            role,
            names: names.into_iter().map(Into::into).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::wit;
    use serde_json::json;

    /// The JSON the project documents, made by the derive on the generated
    /// types: fields in snake_case, enum cases and variant kinds as WIT
    /// spells them.
    #[test]
    fn generated_records_serialize_as_the_documented_json() {
        let change = SyncChange {
            name: "p".into(),
            step: SyncStep::Reinstall,
            from: Some("1.0.0".into()),
            to: None,
            signed_by: None,
            error: Some(wit::Error {
                message: "m".into(),
                hint: None,
                detail: wit::ErrorDetail::FetchFailed(wit::FetchFailure {
                    url: "u".into(),
                    cause: crate::fetch::FetchError::Truncated((1, 2)),
                }),
            }),
            skipped: vec![UnfitVersion {
                version: "2.0.0".into(),
                reason: "r".into(),
            }],
        };
        assert_eq!(
            serde_json::to_value(&change).unwrap(),
            json!({
                "name": "p", "step": "reinstall", "from": "1.0.0", "to": null,
                "signed_by": null,
                "error": {"message": "m", "hint": null, "detail": {
                    "kind": "fetch-failed",
                    "value": {"url": "u", "cause": {"kind": "truncated", "value": [1, 2]}},
                }},
                "skipped": [{"version": "2.0.0", "reason": "r"}],
            })
        );
        assert_eq!(
            serde_json::to_value(FindingKind::WasmWithoutReceipt).unwrap(),
            json!("wasm-without-receipt")
        );
        assert_eq!(
            serde_json::to_value(InstallAction::Unchanged).unwrap(),
            json!("unchanged")
        );
    }
}
