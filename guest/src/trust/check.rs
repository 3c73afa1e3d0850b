//! The signature check: which signatures count, and whether enough keys
//! allowed to sign a name did (a role's threshold with `root.json`).
//!
//! Verification is `verify_strict` (canonical `s`, no small-order `R` or key),
//! done while the artefact streams: Ed25519 hashes `R || A || message` with
//! SHA-512, so each candidate key gets one running hash and the artefact is
//! never held whole in memory. `streamed_verdicts_match_verify_strict` (in
//! `trust/tests.rs`) checks the two agree on every Wycheproof and CCTV vector.
//!
//! A minisign signature (`MinisigClaim`, an entry's `minisig`) is checked in
//! the same pass, by the trust root's minisign key of its key id; one given
//! must verify. It counts as its key's: without `root.json` it alone
//! satisfies the check (shown as `minisign:<label>`); with it, it counts
//! towards a role that lists the key (by its id there, the SHA-256 of the
//! 32-byte Ed25519 key the minisign `*.pub` holds).

use super::metadata::{self, PublisherRole, Role, RoleIdentity};
use super::minisign::{self, Failure, Minisig, MinisignKey};
use super::root::TrustRoot;
use super::sigstore::Signer;
use crate::error::{Error, Result};
use crate::limits::MAX_SIGNATURES;
use crate::trust::ed25519::StreamedSignature;
use ed25519_dalek::{Signature, VerifyingKey};
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

/// A minisign signature to check: the `.minisig`, where it came from and
/// the artefact it is for (both for errors).
#[derive(Debug, Clone)]
pub struct MinisigClaim {
    pub minisig: Minisig,
    pub shown: String,
    pub artifact: String,
}

impl MinisigClaim {
    /// Parses the text of a `.minisig` (from `shown`) for `artifact`; one
    /// that is not a `.minisig` is refused.
    pub fn parse(text: &str, shown: &str, artifact: &str) -> Result<MinisigClaim> {
        let minisig = Minisig::parse(text).map_err(|reason| Error::MinisignUnverified {
            artifact: artifact.to_string(),
            minisig: shown.to_string(),
            check: Failure::Malformed.name().to_string(),
            reason,
        })?;
        Ok(MinisigClaim {
            minisig,
            shown: shown.to_string(),
            artifact: artifact.to_string(),
        })
    }

    fn refused(&self, failure: Failure, reason: String) -> Error {
        Error::MinisignUnverified {
            artifact: self.artifact.clone(),
            minisig: self.shown.clone(),
            check: failure.name().to_string(),
            reason,
        }
    }

    /// The trust root's minisign key that made it, or the refusal naming
    /// the keys it holds.
    pub fn key<'r>(&self, root: &'r TrustRoot) -> Result<&'r MinisignKey> {
        let id = self.minisig.key_id;
        root.minisign.iter().find(|k| k.id == id).ok_or_else(|| {
            let held: Vec<String> = root
                .minisign
                .iter()
                .map(|k| format!("{}.pub ({})", k.label, k.id))
                .collect();
            let held = match held.is_empty() {
                true => "none".to_string(),
                false => held.join(", "),
            };
            self.refused(
                Failure::Key,
                format!(
                    "it is signed by minisign key {id}, which is not a *.pub of the trust root \
                     {} (its minisign keys: {held})",
                    root.path
                ),
            )
        })
    }
}

/// What a check established: who signed (as reported), and one signature
/// that verified, for the `.sig` sidecar loaders read (none when only a
/// minisign signature did).
#[derive(Debug, Clone)]
pub struct Verified {
    /// The key's label; with `root.json`, every key (and Sigstore
    /// identity) counted and the role (`acme, bob (publishers acme-*)`). A
    /// minisign signature shows as `minisign:<label>`.
    pub signers: String,
    /// `None` when no Ed25519 signature verified: a minisign signature or
    /// a Sigstore identity met the rule.
    pub signature: Option<Signature>,
}

/// The check a trust policy asks for on plugin `name`'s bytes: none without
/// a trust root; with one, a signature is required (`missing` says where
/// none was found). A minisign signature by a key the trust root does not
/// hold is refused here, before any byte is read.
pub fn check_for(
    root: Option<&TrustRoot>,
    name: &str,
    signatures: &[Claimed],
    minisig: Option<&MinisigClaim>,
    missing: impl FnOnce() -> Error,
) -> Result<Option<SignatureCheck>> {
    let Some(root) = root else {
        return Ok(None);
    };
    match check_if_signed(root, name, signatures, minisig)? {
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
    minisig: Option<&MinisigClaim>,
) -> Result<Option<SignatureCheck>> {
    // Without root.json only the loader's own `signature` counts, as
    // before there were co-signatures.
    let usable = match root.metadata {
        Some(_) => !signatures.is_empty(),
        None => signatures.iter().any(|c| c.keyid.is_none()),
    };
    let check = match minisig {
        Some(claim) => {
            SignatureCheck::for_plugin(root, name, signatures).with_minisig(root, claim)?
        }
        None if usable => SignatureCheck::for_plugin(root, name, signatures),
        None => return Ok(None),
    };
    Ok(Some(check))
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
    minisign: Option<MinisignCandidate>,
}

/// A minisign signature being checked, by the trust root's key of its id.
struct MinisignCandidate {
    claim: MinisigClaim,
    /// The key's `.pub` label, and its id in `root.json` terms.
    label: String,
    keyid: String,
    id: minisign::KeyId,
    verifier: minisign::Verifier,
}

struct Candidate {
    /// The key id (with `root.json`) or the `.pub` label.
    key: String,
    signature: Signature,
    verifier: StreamedSignature,
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

    /// For an installed plugin's `.minisig` sidecar alone: as
    /// `for_sidecar`, one key of a publishers role covering the plugin
    /// being enough.
    pub fn for_minisig_sidecar(
        root: &TrustRoot,
        name: &str,
        claim: &MinisigClaim,
    ) -> Result<SignatureCheck> {
        let roles = root.metadata.as_ref().map(|meta| {
            meta.publishers_of(name)
                .map(|p| Signers::publishers(p, Some(1)))
                .collect()
        });
        SignatureCheck::build(root, roles, format!("plugin '{name}'"), &[])
            .with_minisig(root, claim)
    }

    /// Also checks `claim`, a minisign signature, by the trust root's key
    /// of its key id (refused now when there is none).
    pub fn with_minisig(
        mut self,
        root: &TrustRoot,
        claim: &MinisigClaim,
    ) -> Result<SignatureCheck> {
        let key = claim.key(root)?;
        self.minisign = Some(MinisignCandidate {
            label: key.label.clone(),
            keyid: metadata::key_id(&key.key),
            id: key.id,
            verifier: claim.minisig.verifier(&key.key),
            claim: claim.clone(),
        });
        Ok(self)
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
            for (id, key) in &keys {
                if root.metadata.is_some() && claimed.keyid.as_ref().is_some_and(|k| k != id) {
                    continue;
                }
                // `None`: refused before hashing (a weak key, a malformed
                // signature); it counts for nothing.
                if let Some(verifier) = StreamedSignature::start(key, &claimed.signature) {
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
            minisign: None,
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
        if let Some(candidate) = &mut self.minisign {
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
            .filter_map(|c| c.verifier.verify().then_some((c.key, c.signature)))
            .collect();
        // A minisign signature given must verify, whatever else does.
        let minisigned = match self.minisign {
            None => None,
            Some(candidate) => Some(candidate.finish()?),
        };
        let Rule::Roles { roles, what } = self.rule else {
            // The first key (by label order) that verifies, and the
            // minisign key.
            let first = verified.into_iter().next();
            let shown: Vec<String> = first
                .iter()
                .map(|(label, _)| label.clone())
                .chain(
                    minisigned
                        .iter()
                        .map(|(label, _)| format!("minisign:{label}")),
                )
                .collect();
            if shown.is_empty() {
                return Err(untrusted());
            }
            return Ok(Verified {
                signers: shown.join(", "),
                signature: first.map(|(_, s)| s),
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
        let mut by: BTreeSet<&String> = verified.iter().map(|(k, _)| k).collect();
        let minisign_id = minisigned.as_ref().map(|(_, keyid)| keyid);
        by.extend(minisign_id);
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
                // A key counted by its minisign signature alone shows as
                // `minisign:<label>`.
                let raw: BTreeSet<&String> = verified.iter().map(|(k, _)| k).collect();
                let mut labels: Vec<String> = counted
                    .iter()
                    .map(|id| match raw.contains(id) {
                        true => label_of(id),
                        false => format!("minisign:{}", label_of(id)),
                    })
                    .collect();
                if let Some(id) = minisign_id.filter(|id| raw.contains(id) && counted.contains(id))
                {
                    labels.push(format!("minisign:{}", label_of(id)));
                }
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

impl MinisignCandidate {
    /// The key's label and `root.json` id when both signatures verify; the
    /// refusal naming the check that failed otherwise.
    fn finish(self) -> Result<(String, String)> {
        let MinisignCandidate {
            claim,
            label,
            keyid,
            id,
            verifier,
        } = self;
        let kind = match claim.minisig.prehashed {
            true => "prehashed",
            false => "legacy",
        };
        match verifier.finish() {
            Ok(()) => Ok((label, keyid)),
            Err(Failure::TrustedComment) => Err(claim.refused(
                Failure::TrustedComment,
                format!(
                    "its trusted comment {:?} is not the one minisign key {id} ({label}.pub) \
                     signed: it was altered",
                    claim.minisig.trusted_comment
                ),
            )),
            Err(failure) => Err(claim.refused(
                failure,
                format!(
                    "its {kind} signature by minisign key {id} ({label}.pub) is not of these \
                     bytes: they, or the signature, were altered"
                ),
            )),
        }
    }
}
