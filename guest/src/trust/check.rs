//! The signature check: which signatures count, and whether enough keys
//! allowed to sign a name did (a role's threshold with `root.json`).
//!
//! Verification is `verify_strict` (canonical `s`, no small-order `R` or key),
//! done while the artefact streams: Ed25519 hashes `R || A || message` with
//! SHA-512, so each candidate key gets one running hash and the artefact is
//! never held whole in memory. `streamed_verdicts_match_verify_strict` (in
//! `trust/tests.rs`) checks the two agree on every Wycheproof and CCTV vector.

use super::metadata::{PublisherRole, Role, RoleIdentity};
use super::root::TrustRoot;
use super::sigstore::Signer;
use crate::error::{Error, Result};
use crate::limits::MAX_SIGNATURES;
use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_dalek::{Signature, StreamVerifier, VerifyingKey};
use std::collections::{BTreeMap, BTreeSet};

/// A signature to count, with the key id it names (an index entry's
/// `signatures` do; its `signature` and a `.sig` file do not).
#[derive(Debug, Clone)]
pub struct Claimed {
    pub keyid: Option<String>,
    pub signature: Signature,
}

impl Claimed {
    pub fn unnamed(signature: Signature) -> Claimed {
        Claimed {
            keyid: None,
            signature,
        }
    }
}

/// What a check established: who signed (as reported), and one signature
/// that verified, for the `.sig` sidecar loaders read.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The key's label; with `root.json`, every key (and Sigstore
    /// identity) counted and the role (`acme, bob (publishers acme-*)`).
    pub signers: String,
    /// `None` when a role's threshold was met by a Sigstore identity
    /// alone.
    pub signature: Option<Signature>,
}

/// The check a trust policy asks for on plugin `name`'s bytes: none without
/// a trust root; with one, a signature is required (`missing` says where
/// none was found).
pub fn check_for(
    root: Option<&TrustRoot>,
    name: &str,
    signatures: &[Claimed],
    missing: impl FnOnce() -> Error,
) -> Result<Option<SignatureCheck>> {
    let Some(root) = root else {
        return Ok(None);
    };
    match check_if_signed(root, name, signatures) {
        Some(check) => Ok(Some(check)),
        None => Err(missing()),
    }
}

/// The check of `check_for` when the entry carries a signature that can
/// count, else none (and no error): for a plugin a Sigstore bundle may
/// vouch for instead.
pub fn check_if_signed(
    root: &TrustRoot,
    name: &str,
    signatures: &[Claimed],
) -> Option<SignatureCheck> {
    // Without root.json only the loader's own `signature` counts, as
    // before there were co-signatures.
    let usable = match root.metadata {
        Some(_) => !signatures.is_empty(),
        None => signatures.iter().any(|c| c.keyid.is_none()),
    };
    usable.then(|| SignatureCheck::for_plugin(root, name, signatures))
}

/// Checks signatures while the message streams through `update`: without
/// `root.json`, any one by any key of the trust root; with it, a threshold
/// of distinct keys of a role allowed to sign this message.
pub struct SignatureCheck {
    candidates: Vec<Candidate>,
    /// A Sigstore bundle's signer, verified apart (see `count_signer`).
    bundle_signer: Option<Signer>,
    rule: Rule,
    trust_root: String,
    labels: Vec<String>,
    /// Key id -> label, from `root.json`.
    key_labels: BTreeMap<String, String>,
}

struct Candidate {
    /// The key id (with `root.json`) or the `.pub` label.
    key: String,
    signature: Signature,
    verifier: StreamVerifier,
}

enum Rule {
    AnyKey,
    /// Roles that may sign; `what` names the message in errors when none
    /// may.
    Roles {
        roles: Vec<Signers>,
        what: String,
    },
}

/// A role as the check counts it.
struct Signers {
    /// As shown: `publishers acme-*`.
    shown: String,
    role: Role,
    /// Sigstore identities that count like keys (publishers roles only).
    identities: Vec<RoleIdentity>,
}

impl Signers {
    fn publishers(p: &PublisherRole, threshold: Option<u32>) -> Signers {
        let mut role = p.role();
        role.threshold = threshold.unwrap_or(role.threshold);
        Signers {
            shown: format!("publishers {}", p.names.join(" ")),
            role,
            identities: p.identities.clone(),
        }
    }
}

impl SignatureCheck {
    /// For an artefact of plugin `name`: the publishers roles covering it.
    pub fn for_plugin(root: &TrustRoot, name: &str, signatures: &[Claimed]) -> SignatureCheck {
        let roles = root.metadata.as_ref().map(|meta| {
            meta.publishers_of(name)
                .map(|p| Signers::publishers(p, None))
                .collect()
        });
        SignatureCheck::build(root, roles, format!("plugin '{name}'"), signatures)
    }

    /// For an installed plugin's `.sig` sidecar, which holds one signature
    /// of the several a threshold may have needed at install: its key must
    /// still be in a publishers role covering the plugin (a key revoked
    /// since is caught), one key being enough.
    pub fn for_sidecar(root: &TrustRoot, name: &str, signature: Signature) -> SignatureCheck {
        let roles = root.metadata.as_ref().map(|meta| {
            meta.publishers_of(name)
                .map(|p| Signers::publishers(p, Some(1)))
                .collect()
        });
        let claimed = [Claimed::unnamed(signature)];
        SignatureCheck::build(root, roles, format!("plugin '{name}'"), &claimed)
    }

    /// For a registry index: the `index` role.
    pub fn for_index(root: &TrustRoot, signatures: &[Claimed]) -> SignatureCheck {
        let roles = root.metadata.as_ref().map(|meta| {
            vec![Signers {
                shown: "index".into(),
                role: meta.index.clone(),
                identities: Vec::new(),
            }]
        });
        SignatureCheck::build(root, roles, "the index".into(), signatures)
    }

    fn build(
        root: &TrustRoot,
        roles: Option<Vec<Signers>>,
        what: String,
        signatures: &[Claimed],
    ) -> SignatureCheck {
        let signatures = &signatures[..signatures.len().min(MAX_SIGNATURES)];
        // Which keys each signature is tried with: any trust-root key, or
        // the keys of the roles that may sign (only the one it names, when
        // it names one).
        let keys: Vec<(String, VerifyingKey)> = match (&root.metadata, &roles) {
            (Some(meta), Some(roles)) => {
                let allowed: BTreeSet<&String> =
                    roles.iter().flat_map(|r| &r.role.keyids).collect();
                allowed
                    .into_iter()
                    .filter_map(|id| Some((id.clone(), meta.keys.get(id)?.key)))
                    .collect()
            }
            _ => root.keys.iter().map(|k| (k.label.clone(), k.key)).collect(),
        };
        let mut candidates = Vec::new();
        // Without root.json, named co-signatures do not count (see
        // `check_for`).
        let counted = signatures
            .iter()
            .filter(|c| root.metadata.is_some() || c.keyid.is_none());
        for claimed in counted {
            // The checks `verify_strict` makes before hashing, which
            // `verify_stream` leaves out: R must decode to a point that is
            // not of small order, and so must the key (refused at load
            // already). A non-canonical `s` is refused by `verify_stream`.
            let r_ok = CompressedEdwardsY(*claimed.signature.r_bytes())
                .decompress()
                .is_some_and(|r| !r.is_small_order());
            if !r_ok {
                continue;
            }
            for (id, key) in &keys {
                if root.metadata.is_some() && claimed.keyid.as_ref().is_some_and(|k| k != id) {
                    continue;
                }
                if key.is_weak() {
                    continue;
                }
                if let Ok(verifier) = key.verify_stream(&claimed.signature) {
                    candidates.push(Candidate {
                        key: id.clone(),
                        signature: claimed.signature,
                        verifier,
                    });
                }
            }
        }
        SignatureCheck {
            candidates,
            bundle_signer: None,
            rule: match roles {
                Some(roles) => Rule::Roles { roles, what },
                None => Rule::AnyKey,
            },
            trust_root: root.path.clone(),
            labels: root.labels(),
            key_labels: root
                .metadata
                .iter()
                .flat_map(|m| &m.keys)
                .map(|(id, k)| (id.clone(), k.label.clone()))
                .collect(),
        }
    }

    /// Counts `signer`, whose Sigstore bundle verified for these bytes,
    /// toward the roles that list its identity (it counts for nothing
    /// without `root.json`, or where no role lists it).
    pub fn count_signer(&mut self, signer: Signer) {
        self.bundle_signer = Some(signer);
    }

    pub fn update(&mut self, chunk: &[u8]) {
        for candidate in &mut self.candidates {
            candidate.verifier.update(chunk);
        }
    }

    /// Who signed `artifact`'s bytes, if the rule is met.
    pub fn finish(self, artifact: &str) -> Result<Verified> {
        let untrusted = || Error::SignatureUntrusted {
            artifact: artifact.to_string(),
            trust_root: self.trust_root.clone(),
            keys: self.labels.clone(),
        };
        let key_labels = self.key_labels;
        let label_of = |id: &str| {
            key_labels
                .get(id)
                .cloned()
                .unwrap_or_else(|| id.to_string())
        };
        let verified: Vec<(String, Signature)> = self
            .candidates
            .into_iter()
            .filter_map(|c| {
                c.verifier
                    .finalize_and_verify()
                    .ok()
                    .map(|()| (c.key, c.signature))
            })
            .collect();
        let Rule::Roles { roles, what } = self.rule else {
            // The first key (by label order) that verifies.
            let (label, signature) = verified.into_iter().next().ok_or_else(untrusted)?;
            return Ok(Verified {
                signers: label,
                signature: Some(signature),
            });
        };
        let insufficient = |reason: String| Error::SignatureInsufficient {
            artifact: artifact.to_string(),
            reason,
        };
        if roles.is_empty() {
            return Err(insufficient(format!(
                "no role of {}/root.json may sign {what}",
                self.trust_root
            )));
        }
        let by: BTreeSet<&String> = verified.iter().map(|(k, _)| k).collect();
        let bundle_signer = self.bundle_signer.as_ref();
        let mut shortfalls = Vec::new();
        for Signers {
            shown,
            role,
            identities,
        } in &roles
        {
            let counted: BTreeSet<&String> =
                role.keyids.iter().filter(|id| by.contains(id)).collect();
            let identity = bundle_signer.filter(|s| identities.iter().any(|i| i.is(s)));
            let count = counted.len() + usize::from(identity.is_some());
            if count >= role.threshold as usize {
                let signature = verified
                    .iter()
                    .find(|(k, _)| counted.contains(k))
                    .map(|(_, s)| *s);
                let mut labels: Vec<String> = counted.iter().map(|id| label_of(id)).collect();
                labels.sort();
                labels.extend(identity.map(Signer::to_string));
                return Ok(Verified {
                    signers: format!("{} ({shown})", labels.join(", ")),
                    signature,
                });
            }
            shortfalls.push(match identities.is_empty() {
                true => format!(
                    "{shown} needs {} distinct key(s) and {count} signed",
                    role.threshold
                ),
                false => format!(
                    "{shown} needs {} distinct key(s) or Sigstore identities and {count} signed",
                    role.threshold
                ),
            });
        }
        Err(insufficient(format!(
            "not enough keys allowed to sign {what} signed it: {}",
            shortfalls.join("; ")
        )))
    }
}
