//! The verbs, one file each: its flags (the clap struct), its `impl Verb`
//! (what it takes from the manifest, how its flags lower to a request, how
//! it runs), its renderer and the renderer's tests. Each is registered by
//! its one line in the `verbs!` table below, which declares its file and
//! makes the subcommand enum (`Command`) and its one dispatch.
//!
//! Flag groups several verbs take are in `cli/args.rs`; what renderers
//! share (the `Printer`, tables, versions as shown) in `cli/output/`. A
//! verb whose report is another verb's prints it with that verb's
//! renderer: upgrade with install's, lock with sync's, search with list's
//! (whose `IndexCheck` info takes too), yank with publish's. No verb uses another otherwise.

use super::Verb;
use clap::Subcommand;

/// The verbs, registered once: each line is a subcommand (its doc comment
/// is its help) and the type that holds its flags and implements [`Verb`],
/// as `file::Type` in this directory. The files, `Command` and its one
/// dispatch are generated from this table.
macro_rules! verbs {
    ($($(#[$doc:meta])* $name:ident($file:ident::$args:ident),)*) => {
        $(pub mod $file;)*

        #[derive(Debug, Subcommand)]
        pub enum Command {
            $($(#[$doc])* $name($file::$args),)*
        }

        impl Command {
            /// The verb, to ask what it needs.
            pub(super) fn verb(&self) -> &dyn Verb {
                match self {
                    $(Command::$name(a) => a,)*
                }
            }

            /// The verb, to fill it from the manifest.
            pub(super) fn verb_mut(&mut self) -> &mut dyn Verb {
                match self {
                    $(Command::$name(a) => a,)*
                }
            }

            /// The verb, to run it.
            pub(super) fn into_verb(self) -> Box<dyn Verb> {
                match self {
                    $(Command::$name(a) => Box::new(a),)*
                }
            }
        }
    };
}

verbs! {
    /// Install plugins from a registry index into a plugins directory
    Install(install::InstallArgs),
    /// Make a plugins directory hold exactly what wasm-plugin.toml declares,
    /// as wasm-plugin.lock pins it
    Sync(sync::SyncArgs),
    /// Bring wasm-plugin.lock up to date with wasm-plugin.toml without
    /// installing; --upgrade moves pins forward
    Lock(lock::PinArgs),
    /// Move installed plugins to the highest version a registry offers
    Upgrade(upgrade::UpgradeArgs),
    /// Remove installed plugins
    Uninstall(uninstall::UninstallArgs),
    /// Forget the index version recorded for a registry after it was
    /// deliberately reset (otherwise its older index is refused as a rollback)
    ForgetRegistry(forget_registry::ForgetRegistryArgs),
    /// List the plugins a registry offers, or those installed in a directory
    List(list::ListArgs),
    /// Show every version of one plugin, and the index it is listed in
    Info(info::InfoArgs),
    /// Find plugins by name or description
    Search(search::SearchArgs),
    /// Show installed plugins that a registry has newer versions of
    Outdated(outdated::OutdatedArgs),
    /// Check everything installed in a plugins directory against its receipts and a trust root
    Audit(audit::AuditArgs),
    /// Check the digest and signature of a plugin file on disk
    Verify(verify::VerifyArgs),
    /// Check a Sigstore bundle for a file (or its sha256:HEX), offline:
    /// keyless identity and issuer, or a key
    VerifyBundle(verify_bundle::VerifyBundleArgs),
    /// Create a new plugin project
    New(new::NewArgs),
    /// Make an Ed25519 key pair for signing plugins
    Keygen(keygen::KeygenArgs),
    /// Sign a plugin file, writing its .sig sidecar
    Sign(sign::SignArgs),
    /// Add a plugin version to a registry index (creating the index if missing)
    Publish(publish::PublishArgs),
    /// Mark a published version yanked in a registry index (publish --yank),
    /// or with --undo take the mark off
    Yank(yank::YankArgs),
    /// Manage keys with root.json: who may sign what, thresholds, rotation
    Trust(trust::TrustArgs),
    /// Copy a registry and its artefacts into a directory, for offline use
    Mirror(mirror::MirrorArgs),
    /// Operate a registry: make a sparse registry of a flat index (convert)
    Registry(registry::RegistryArgs),
    /// Write the installer component, for runtimes that embed it
    Component(component::ComponentArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff), every subcommand included
    Man(man::ManArgs),
}
