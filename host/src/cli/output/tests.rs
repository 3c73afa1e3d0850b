//! Each renderer into a `Vec<u8>`: the text people read, the JSON scripts
//! read, and what `-q` leaves.

use super::testing::{self, json, text};
use super::*;
use std::path::Path;
use wasm_plugin::InstallAction as A;

fn ok<R>(spec: &str, report: R) -> Outcome<R> {
    (spec.to_string(), Ok(report))
}

#[test]
fn an_install_says_what_it_placed_with_digest_and_signer() {
    let r = testing::install_report("hello", "1.0.0", A::Installed);
    let shown = text(|p| install_outcomes(p, &[ok("hello", r)], false));
    assert_eq!(
        shown.out,
        "installed hello 1.0.0 -> plugins/hello.wasm\n  \
         sha256 ab12 (42 bytes) from example/index.json\n  \
         unsigned (no --trust-root given)\n"
    );
    assert_eq!(shown.err, "");
    assert_eq!(shown.verdict, Verdict::Done);
}

#[test]
fn an_upgrade_names_both_versions_the_signer_and_new_capabilities() {
    let mut r = testing::install_report("hello", "1.0.0", A::Upgraded);
    r.previous_version = Some("0.9.0".into());
    r.signed_by = Some("release".into());
    r.new_imports = vec!["wasi:http/outgoing-handler".into()];
    r.skipped = vec![testing::unfit("2.0.0", "no export run")];
    let shown = text(|p| install_outcomes(p, &[ok("hello", r)], true));
    assert_eq!(
        shown.out,
        "upgraded hello 0.9.0 -> 1.0.0 (plugins/hello.wasm)\n  \
         sha256 ab12 (42 bytes) from example/index.json\n  \
         verified by 'release'\n  \
         new capability: now imports wasi:http/outgoing-handler\n  \
         skipped hello 2.0.0: incompatible, no export run\n"
    );
}

#[test]
fn an_unchanged_plugin_reads_differently_for_install_and_upgrade() {
    let r = testing::install_report("hello", "1.0.0", A::Unchanged);
    let install = text(|p| install_outcomes(p, &[ok("hello", r.clone())], false));
    assert_eq!(
        install.out,
        "hello 1.0.0 is already installed and intact; nothing to do\n"
    );
    let upgrade = text(|p| install_outcomes(p, &[ok("hello", r)], true));
    assert!(
        upgrade
            .out
            .starts_with("hello 1.0.0 is up to date; nothing to do (upgrade")
    );
}

#[test]
fn an_unversioned_entry_says_so_instead_of_nothing() {
    let r = testing::install_report("hello", "", A::Installed);
    let shown = text(|p| install_outcomes(p, &[ok("hello", r)], false));
    assert!(shown.out.starts_with("installed hello (unversioned) -> "));
}

#[test]
fn install_json_is_an_array_of_the_reports() {
    let r = testing::install_report("hello", "1.0.0", A::Installed);
    let value = json(|p| install_outcomes(p, &[ok("hello", r)], false));
    assert_eq!(value[0]["name"], "hello");
    assert_eq!(value[0]["action"], "installed");
    assert_eq!(value[0]["wasm_path"], "plugins/hello.wasm");
    assert_eq!(value.as_array().map(Vec::len), Some(1));
}

#[test]
fn quiet_silences_text_but_never_json() {
    let r = testing::install_report("hello", "1.0.0", A::Installed);
    let quiet_text = testing::render(false, true, |p| {
        install_outcomes(p, &[ok("hello", r.clone())], false)
    });
    assert_eq!((quiet_text.out.as_str(), quiet_text.err.as_str()), ("", ""));
    let quiet_json = testing::render(true, true, |p| {
        install_outcomes(p, &[ok("hello", r)], false)
    });
    assert!(quiet_json.out.starts_with("[\n  {\n"), "{}", quiet_json.out);
}

#[test]
fn upgrade_dry_run_says_what_would_move() {
    let mut moving = testing::install_report("hello", "1.1.0", A::Upgraded);
    moving.previous_version = Some("1.0.0".into());
    let kept = testing::install_report("colmask", "0.3.1", A::Unchanged);
    let shown = text(|p| upgrade_plan(p, &[ok("hello", moving), ok("colmask", kept)]));
    assert_eq!(
        shown.out,
        "would upgrade hello 1.0.0 -> 1.1.0\ncolmask 0.3.1 is up to date\n"
    );
}

#[test]
fn nothing_installed_is_a_sentence_or_an_empty_array() {
    let shown = text(|p| nothing_installed(p, Path::new("plugins")));
    assert_eq!(shown.out, "nothing is installed in plugins\n");
    let value = json(|p| nothing_installed(p, Path::new("plugins")));
    assert_eq!(value, serde_json::json!([]));
}

#[test]
fn uninstall_lists_what_it_removed() {
    let r = testing::uninstall("hello", Some("1.0.0"), &["plugins/hello.wasm"]);
    let shown = text(|p| uninstalled(p, &[ok("hello", r)]));
    assert_eq!(
        shown.out,
        "uninstalled hello 1.0.0\n  removed plugins/hello.wasm\n"
    );
}

#[test]
fn forget_registry_names_the_version_forgotten_or_what_is_recorded() {
    let forgotten = text(|p| forgot(p, &testing::forget(Some(7), &[])));
    assert!(
        forgotten
            .out
            .starts_with("forgot index version 7 of index.json in plugins; ")
    );
    let nothing = text(|p| forgot(p, &testing::forget(None, &[])));
    assert_eq!(
        nothing.out,
        "nothing is recorded for index.json in plugins; recorded: none\n"
    );
    let others = text(|p| forgot(p, &testing::forget(None, &["a.json", "b.json"])));
    assert!(others.out.ends_with("recorded: a.json, b.json\n"));
    let value = json(|p| forgot(p, &testing::forget(Some(7), &[])));
    assert_eq!(value["forgotten"], 7);
}

#[test]
fn list_is_a_padded_table_then_what_was_verified() {
    let mut hello = testing::entry("hello", "1.0.0");
    hello.description = Some("Says hello".into());
    let mut colmask = testing::entry("colmask", "0.3.1");
    colmask.yanked = true;
    colmask.signature = Some("colmask-0.3.1.wasm.sig".into());
    let index = testing::index(vec![hello, colmask]);
    let shown = text(|p| list(p, &index, IndexCheck::NoTrustRoot));
    let lines: Vec<&str> = shown.out.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "NAME     VERSION         SIGNATURE   DESCRIPTION",
            "hello    1.0.0           none        Says hello",
            "colmask  0.3.1 (yanked)  unverified",
        ]
    );
    assert!(lines[3].starts_with("the index's signature was not verified (no --trust-root); "));
    assert_eq!(lines.len(), 4);
}

#[test]
fn list_of_an_empty_index_says_so() {
    let shown = text(|p| list(p, &testing::index(Vec::new()), IndexCheck::TrustRoot));
    assert_eq!(shown.out, "index.json lists no plugins\n");
}

#[test]
fn list_says_why_an_index_is_unverified_and_who_signed_a_verified_one() {
    let index = testing::index(vec![testing::entry("hello", "1.0.0")]);
    let checked = text(|p| list(p, &index, IndexCheck::TrustRoot));
    assert!(
        checked
            .out
            .contains("not verified (the index is not signed)")
    );
    let mut signed = index.clone();
    signed.signed_by = Some("release".into());
    let shown = text(|p| list(p, &signed, IndexCheck::TrustRoot));
    assert!(
        shown
            .out
            .contains("the index is signed by 'release', verified against the trust root")
    );
}

#[test]
fn list_json_is_the_index() {
    let index = testing::index(vec![testing::entry("hello", "1.0.0")]);
    let value = json(|p| list(p, &index, IndexCheck::NoTrustRoot));
    assert_eq!(value["path"], "index.json");
    assert_eq!(value["plugins"][0]["name"], "hello");
}

#[test]
fn info_lists_versions_newest_first() {
    let index = testing::index(vec![
        testing::entry("hello", "1.0.0"),
        testing::entry("hello", "1.10.0"),
        testing::entry("hello", "1.2.0"),
        testing::entry("other", "9.0.0"),
    ]);
    let value = json(|p| info(p, &index, "hello", IndexCheck::NoTrustRoot));
    let versions: Vec<&str> = value["versions"]
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|v| v["version"].as_str())
        .collect();
    assert_eq!(versions, ["1.10.0", "1.2.0", "1.0.0"]);
    let shown = text(|p| info(p, &index, "hello", IndexCheck::NoTrustRoot));
    assert!(
        shown
            .out
            .starts_with("hello\n  listed in index.json (index version 3")
    );
}

#[test]
fn outdated_counts_plugins_behind_and_held_back() {
    let rows = [
        testing::outdated("hello", "1.0.0", "1.1.0", "2.0.0"),
        testing::outdated("colmask", "0.3.1", "0.3.1", "0.3.1"),
    ];
    let shown = text(|p| outdated(p, &rows));
    let lines: Vec<&str> = shown.out.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "NAME     INSTALLED  WANTED  LATEST  REQUIREMENT",
            "hello    1.0.0      1.1.0   2.0.0   *",
            "colmask  0.3.1      0.3.1   0.3.1   *",
        ]
    );
    assert!(lines[3].starts_with("1 of 2 plugin(s) behind what their requirement admits"));
    assert!(lines[3].contains("; 1 held back by their requirement"));
    let value = json(|p| outdated(p, &rows));
    assert_eq!(value[0]["wanted"], "1.1.0");
}

#[test]
fn verify_shows_digest_signature_and_capabilities() {
    let shown = text(|p| verify(p, &testing::verify()));
    assert_eq!(
        shown.out,
        "sha256 ab12  hello.wasm (42 bytes)\n\
         no signature (none given, no sidecar)\n\
         imports: none\n\
         exports:\n  run\n"
    );
    let mut unknown = testing::verify();
    unknown.imports = None;
    unknown.signed_by = Some("release".into());
    unknown.fits = Some("world example:host/plugin".into());
    let shown = text(|p| verify(p, &unknown));
    assert!(shown.out.contains("verified by 'release'\n"));
    assert!(
        shown
            .out
            .contains("imports and exports unknown: not a WebAssembly component or module\n")
    );
    assert!(shown.out.ends_with("fits the world example:host/plugin\n"));
}

#[test]
fn verify_bundle_says_who_signed() {
    let report = wasm_plugin::BundleVerifyReport {
        artifact: "hello.wasm".into(),
        sha256: "ab12".into(),
        signed_by: "sigstore:https://github.com/acme/p/.github/workflows/r.yml@refs/tags/v1 (https://token.actions.githubusercontent.com)".into(),
    };
    let shown = text(|p| verify_bundle(p, &report));
    assert_eq!(
        shown.out,
        "verified hello.wasm\n  sha256 ab12\n  signed by sigstore:https://github.com/acme/p/.github/workflows/r.yml@refs/tags/v1 (https://token.actions.githubusercontent.com)\n"
    );
    let value = json(|p| verify_bundle(p, &report));
    assert_eq!(value["sha256"], "ab12");
    assert_eq!(value["signed_by"], report.signed_by.as_str());
}

#[test]
fn keygen_and_sign_say_what_they_wrote() {
    let shown = text(|p| keygen(p, &testing::keygen()));
    assert_eq!(
        shown.out,
        "wrote release.key (private: keep it secret, owner-only)\n\
         wrote release.pub (public: put it in operators' trust roots)\n\
         public key ed25519:AAAA\n"
    );
    let signed = text(|p| sign(p, &testing::sign()));
    assert_eq!(signed.out, "signed hello.wasm -> hello.wasm.sig\n");
    let value = json(|p| sign(p, &testing::sign()));
    assert_eq!(value["signature_path"], "hello.wasm.sig");
}

#[test]
fn publish_warns_on_standard_error_unless_quiet() {
    let report = testing::publish(&["no description"]);
    let shown = text(|p| publish(p, &report));
    assert_eq!(shown.err, "warning: no description\n");
    assert_eq!(
        shown.out,
        "published hello 1.0.0 (unsigned) in index.json\n  \
         sha256 ab12 (42 bytes), artifact hello-1.0.0.wasm\n  \
         index version 2 (unsigned), never expires (--expires-in sets it)\n"
    );
    let as_json = testing::render(true, false, |p| publish(p, &report));
    assert_eq!(as_json.err, "warning: no description\n");
    let quiet = testing::render(false, true, |p| publish(p, &report));
    assert_eq!((quiet.out.as_str(), quiet.err.as_str()), ("", ""));
}

#[test]
fn yank_says_what_changed_or_that_nothing_did() {
    let shown = text(|p| yank(p, &testing::yank(false)));
    assert_eq!(
        shown.out,
        "yanked hello 1.0.0 in index.json (index version 4, signed)\n"
    );
    let again = text(|p| yank(p, &testing::yank(true)));
    assert_eq!(
        again.out,
        "hello 1.0.0 is already yanked in index.json; nothing to do\n"
    );
}

#[test]
fn component_says_where_it_wrote_and_how_much() {
    let shown = text(|p| component(p, "the installer component", Path::new("c.wasm"), 2048));
    assert_eq!(
        shown.out,
        "wrote the installer component to c.wasm (2048 bytes)\n"
    );
}

#[test]
fn a_clean_audit_lists_each_plugin_ok_and_is_done() {
    let report = testing::audit(
        vec![testing::audited("hello", Some("1.0.0"), Vec::new())],
        Vec::new(),
    );
    let shown = text(|p| audit(p, &report));
    assert_eq!(
        shown.out,
        "ok       hello 1.0.0, verified by 'release'\naudit of plugins: 1 plugin(s), clean\n"
    );
    assert_eq!(shown.verdict, Verdict::Done);
}

#[test]
fn an_audit_finding_is_shown_under_its_plugin_and_is_a_finding_verdict() {
    use wasm_plugin::FindingKind as F;
    let drift = testing::finding(F::Drift, "plugins/hello.wasm", "sha256 differs");
    let missing = testing::finding(F::DeclaredMissing, "plugins/colmask.wasm", "declared");
    let stray = testing::finding(F::TempFile, "plugins/.tmp1", "left behind");
    let report = testing::audit(
        vec![
            testing::audited("hello", Some("1.0.0"), vec![drift]),
            testing::audited("colmask", None, vec![missing]),
        ],
        vec![stray],
    );
    let shown = text(|p| audit(p, &report));
    let lines: Vec<&str> = shown.out.lines().collect();
    assert_eq!(lines[0], "FINDING  hello 1.0.0, verified by 'release'");
    assert!(lines[1].starts_with("         drift: sha256 differs (plugins/hello.wasm)"));
    assert!(lines[2].starts_with("FINDING  colmask (not installed)"));
    assert!(lines[4].starts_with("FINDING  ") && lines[4].ends_with("left behind (plugins/.tmp1)"));
    assert_eq!(lines[5], "audit of plugins: 3 finding(s)");
    assert_eq!(shown.verdict, Verdict::Findings);
    let value = json(|p| audit(p, &report));
    assert_eq!(value["clean"], false);
    assert_eq!(value["plugins"][0]["status"], "finding");
    assert_eq!(value["stray"][0]["kind"], "temp-file");
}

#[test]
fn sync_says_each_change_and_counts_the_kept() {
    use wasm_plugin::SyncStep as S;
    let report = testing::sync(
        "plugins",
        vec![
            testing::change("hello", S::Upgrade, Some("1.0.0"), Some("1.1.0")),
            testing::change("colmask", S::Keep, Some("0.3.1"), Some("0.3.1")),
            testing::change("old", S::Remove, Some("0.1.0"), None),
        ],
    );
    let shown = text(|p| sync(p, &report));
    assert_eq!(
        shown.out,
        "upgrade hello 1.0.0 -> 1.1.0\nremove old 0.1.0\n1 plugin as pinned; wasm-plugin.lock unchanged\n"
    );
    let value = json(|p| sync(p, &report));
    assert_eq!(value["changes"][0]["step"], "upgrade");
    assert_eq!(value["changes"][0]["error"], serde_json::Value::Null);
}

#[test]
fn lock_speaks_of_pins_and_a_dry_run_of_what_it_would_do() {
    use wasm_plugin::SyncStep as S;
    let mut report = testing::sync(
        "",
        vec![testing::change("hello", S::Install, None, Some("1.0.0"))],
    );
    report.dry_run = true;
    report.lock_changed = true;
    let shown = text(|p| sync(p, &report));
    assert_eq!(
        shown.out,
        "would pin hello 1.0.0\n0 plugins as pinned; would write wasm-plugin.lock\n"
    );
}

#[test]
fn installed_is_a_table_or_with_long_each_plugins_capabilities() {
    let receipts = [testing::receipt("hello", "1.0.0")];
    let shown = text(|p| installed(p, &receipts, false));
    assert_eq!(
        shown.out,
        "NAME   VERSION  SIGNED BY  INSTALLED AT\nhello  1.0.0    -          2026-01-02T03:04:05Z\n"
    );
    let long = text(|p| installed(p, &receipts, true));
    assert_eq!(
        long.out,
        "hello 1.0.0 (signed by -, installed at 2026-01-02T03:04:05Z)\n\
         imports and exports unknown: not WebAssembly, or installed before they were recorded\n"
    );
    let none = text(|p| installed(p, &[], false));
    assert_eq!(none.out, "nothing is installed\n");
    let value = json(|p| installed(p, &receipts, false));
    assert_eq!(value[0]["name"], "hello");
}

#[test]
fn several_registries_are_one_table_with_a_registry_column() {
    let indexes = [
        (
            "main".to_string(),
            testing::index(vec![testing::entry("hello", "1.0.0")]),
        ),
        ("extra".to_string(), testing::index(Vec::new())),
    ];
    let shown = text(|p| list_registries(p, &indexes, IndexCheck::NoTrustRoot));
    let lines: Vec<&str> = shown.out.lines().collect();
    assert_eq!(lines[0], "NAME   VERSION  REGISTRY  SIGNATURE  DESCRIPTION");
    assert_eq!(lines[1], "hello  1.0.0    main      none");
    assert!(lines[2].starts_with("main: the index's signature was not verified"));
    assert!(lines[3].starts_with("extra: "));
    let value = json(|p| list_registries(p, &indexes, IndexCheck::NoTrustRoot));
    assert_eq!(value[1]["registry"], "extra");
    let empty = text(|p| list_registries(p, &[], IndexCheck::NoTrustRoot));
    assert_eq!(empty.out, "the manifest's registries list no plugins\n");
}

#[test]
fn mirror_says_what_it_fetched_and_what_became_of_the_index() {
    let shown = text(|p| mirror(p, &testing::mirror(&["hello-1.0.0.wasm"], &["a.wasm"])));
    assert_eq!(
        shown.out,
        "fetched hello-1.0.0.wasm\n\
         mirrored 2 plugin version(s) to mirror/index.json (1 fetched, 1 already there)\n\
         the index was copied as published (it is unsigned)\n"
    );
}

#[test]
fn new_lists_the_files_and_how_to_build() {
    let shown = text(|p| scaffold(p, &testing::scaffold()));
    assert_eq!(
        shown.out,
        "created hello\n  Cargo.toml\n  src/lib.rs\n\
         build it with: cd hello && cargo build --target wasm32-wasip2 --release\n\
         its README.md says how to sign and publish it\n"
    );
}

#[test]
fn a_trust_summary_shows_roles_keys_and_whether_clients_accept_it() {
    let shown = text(|p| trust_summary(p, &testing::trust_summary(true), "wrote"));
    assert_eq!(
        shown.out,
        "wrote trust/root.json (root version 1, expires 2027-01-01T00:00:00Z)\n  \
         root:  1 of alice\n  \
         index: 1 of bob\n  \
         key alice: k1\n  \
         key bob: k2\n  \
         signed by alice; complete: clients accept it\n"
    );
    let shown = text(|p| trust_summary(p, &testing::trust_summary(false), ""));
    assert!(shown.out.starts_with("trust/root.json (root version 1"));
    assert!(
        shown
            .out
            .contains("signed by nobody listed in it; incomplete: clients refuse it")
    );
    let value = json(|p| trust_summary(p, &testing::trust_summary(true), "wrote"));
    assert_eq!(value["complete"], true);
}

#[test]
fn trust_sign_of_an_index_or_an_entry_says_whether_it_added_a_signature() {
    let added = text(|p| signed_index(p, &testing::signed_index(false)));
    assert_eq!(
        added.out,
        "added a signature to index.json.sig (2 in all)\n"
    );
    let held = text(|p| signed_index(p, &testing::signed_index(true)));
    assert_eq!(
        held.out,
        "index.json.sig already holds this key's signature (2 in all)\n"
    );
    let signed = text(|p| cosign(p, &testing::cosign(false)));
    assert_eq!(
        signed.out,
        "signed hello 1.0.0 in index.json with key k2 (2 signature(s) now); index version 5 (unsigned)\n"
    );
    let again = text(|p| cosign(p, &testing::cosign(true)));
    assert_eq!(
        again.out,
        "hello 1.0.0 already carries a signature by key k2\n"
    );
}

#[test]
fn trust_sign_of_a_root_names_the_key_and_the_threshold() {
    let shown = text(|p| signed_root(p, &testing::signed_root(Some("alice"), true)));
    assert_eq!(
        shown.out,
        "signed trust/root.json as alice\n  \
         a threshold of its own root keys has signed; signed by alice\n"
    );
    let rotation = text(|p| signed_root(p, &testing::signed_root(None, false)));
    assert_eq!(
        rotation.out,
        "signed trust/root.json as key k9 (not listed in this root: a previous root's key, \
         for a rotation)\n  \
         its own root keys have not reached their threshold yet; signed by none of its own keys yet\n"
    );
}
