//! The decision as tables: `decide` on versions alone, and a whole pass
//! (`wanted`, `choose`, `check_pin`, `plan`) from what it read.

use super::*;
use crate::registry::resolve::Selector;
use crate::trust::capabilities::ImportPolicy;
use std::path::Path;

/// The whole decision, as a table: mode, installed, offered, current,
/// allow-downgrade, and what follows.
#[test]
fn what_to_do_is_decided_from_what_is_installed_and_what_is_offered() {
    use Decision::*;
    use InstallAction::*;
    use Mode::{Install as I, Upgrade as U};
    type Row<'a> = (Mode, Option<&'a str>, &'a str, bool, bool, Decision);
    let table: &[Row] = &[
        (I, None, "1.0.0", false, false, Place(Installed)),
        (I, Some("1.0.0"), "1.0.0", true, false, Keep),
        (I, Some("1.0.0"), "1.0.0", false, false, Place(Reinstalled)),
        (I, Some("1.0.0"), "1.1.0", false, false, Place(Upgraded)),
        (I, Some("1.1.0"), "1.0.0", false, false, RefuseDowngrade),
        (I, Some("1.1.0"), "1.0.0", false, true, Place(Downgraded)),
        (I, Some("1.1.0"), "1.0.0", true, false, Keep),
        // Unordered versions: never a downgrade.
        (I, Some(""), "", false, false, Place(Reinstalled)),
        (I, Some(""), "", true, false, Keep),
        (I, Some("1.0.0"), "", false, false, Place(Upgraded)),
        (I, Some("stable"), "nightly", false, false, Place(Upgraded)),
        (U, Some("stable"), "nightly", false, false, Keep),
        (U, Some("1.0.0"), "nightly", false, false, Keep),
        (U, Some("nightly"), "1.0.0", false, false, Place(Upgraded)),
        // Upgrade: up only, an unversioned install to any release, a
        // release never sideways to an unversioned entry.
        (U, Some("1.0.0"), "1.1.0", false, false, Place(Upgraded)),
        (U, Some("1.1.0"), "1.0.0", false, true, Keep),
        (U, Some("1.0.0"), "1.0.0", false, false, Keep),
        (U, Some(""), "1.0.0", false, false, Place(Upgraded)),
        (U, Some("1.0.0"), "", false, false, Keep),
        (U, Some(""), "", false, false, Keep),
        (U, None, "1.0.0", false, false, Place(Installed)),
    ];
    for &(mode, installed, offered, current, allow, expected) in table {
        assert_eq!(
            decide(mode, installed, offered, current, allow),
            expected,
            "{mode:?} {installed:?} -> {offered:?} current={current} allow_downgrade={allow}"
        );
    }
}

/// One pass as the pipeline decides it: what is installed (version and
/// recorded requirement), what the index offers for the request (`None`:
/// nothing matches), and what the pipeline read about it.
#[derive(Clone, Copy)]
struct Case {
    mode: Mode,
    spec: &'static str,
    version: Option<&'static str>,
    installed: Option<(&'static str, Option<&'static str>)>,
    offered: Option<&'static str>,
    /// The offered entry's published exports.
    exports: Option<&'static [&'static str]>,
    /// A world that exports `f`.
    world: bool,
    skipped: &'static [&'static str],
    current: bool,
    trusted: bool,
    pinned_other: bool,
    dry_run: bool,
    planned: bool,
    allow_downgrade: bool,
}

const INSTALL: Case = Case {
    mode: Mode::Install,
    spec: "colmask",
    version: None,
    installed: None,
    offered: Some("1.0.0"),
    exports: None,
    world: false,
    skipped: &[],
    current: false,
    trusted: false,
    pinned_other: false,
    dry_run: false,
    planned: false,
    allow_downgrade: false,
};
const UPGRADE: Case = Case {
    mode: Mode::Upgrade,
    installed: Some(("1.0.0", None)),
    ..INSTALL
};

fn kind(error: &Error) -> String {
    let shown = format!("{error:?}");
    shown
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

fn describe(plan: &Plan) -> String {
    match plan {
        Plan::Keep(keep) => {
            let judged = match (keep.judge_world, keep.judge_imports) {
                (false, false) => "",
                (true, false) => ", if it fits the world",
                (false, true) => ", if its imports pass",
                (true, true) => ", if it fits the world and its imports pass",
            };
            let writes = match &keep.writes {
                None => "writing nothing".to_string(),
                Some(w) => format!(
                    "seen {}, requirement {}, signer {}",
                    w.record_seen,
                    match &w.requirement {
                        NewRequirement::Unchanged => "as is".to_string(),
                        NewRequirement::Record(r) => format!("records {r:?}"),
                        NewRequirement::Unmet(e) => format!("refused ({})", kind(e)),
                    },
                    w.signer.is_some()
                ),
            };
            format!("keep {}{judged}: {writes}", keep.previous.version)
        }
        Plan::Place(place) => format!(
            "place {} {}, recording {:?}{}",
            place.entry.version,
            action(place.action),
            place.requirement,
            if place.dry_run { " (dry run)" } else { "" }
        ),
        Plan::Refuse(error) => format!("refuse: {}", kind(error)),
        Plan::Skip(unfit) => format!("skip {}", unfit.version),
    }
}

/// The action by its case's name, as the table writes it.
fn action(action: InstallAction) -> &'static str {
    match action {
        InstallAction::Installed => "Installed",
        InstallAction::Upgraded => "Upgraded",
        InstallAction::Downgraded => "Downgraded",
        InstallAction::Reinstalled => "Reinstalled",
        InstallAction::Unchanged => "Unchanged",
    }
}

/// `wanted`, `choose`, `check_pin` and `plan` in the pipeline's order.
fn run(case: &Case) -> String {
    let world = case.world.then(|| {
        let wit = "package a:b; world w { export f: func(); }";
        TargetWorld::parse(Path::new("w.wit"), wit, None).unwrap()
    });
    let request = InstallRequest {
        registry: "/r/index.json".into(),
        spec: case.spec.into(),
        version: case.version.map(str::to_string),
        dest: "/p".into(),
        trust_root: None,
        mode: case.mode,
        allow_downgrade: case.allow_downgrade,
        allow_expired: false,
        max_size: super::super::DEFAULT_MAX_SIZE,
        preloaded: None,
        pinned: case.pinned_other.then(|| Sha256Digest::of(b"other")),
        planned: case.planned,
        dry_run: case.dry_run,
        imports: ImportPolicy::default(),
        world: None,
    };
    let spec = PluginSpec::parse(case.spec).unwrap();
    let previous = case.installed.map(|(version, requirement)| Receipt {
        name: "colmask".into(),
        version: version.into(),
        sha256: Sha256Digest::of(version.as_bytes()).to_hex(),
        size: 1,
        signed_by: None,
        registry: "/r/index.json".into(),
        artifact: "colmask.wasm".into(),
        installed_at: "2026-01-01T00:00:00Z".into(),
        requirement: requirement.map(str::to_string),
        imports: None,
        exports: None,
        cosign_signature: None,
    });
    let wanted = match wanted(&request, &spec, previous.as_ref()) {
        Ok(wanted) => wanted,
        Err(e) => return format!("refuse: {}", kind(&e)),
    };
    let skipped: Vec<UnfitVersion> = (case.skipped.iter())
        .map(|v| UnfitVersion {
            version: v.to_string(),
            reason: "unfit".into(),
        })
        .collect();
    let selector = Selector::from_parts(request.version.as_deref(), wanted.parsed.as_ref());
    let survey = Survey {
        request: &request,
        spec: &spec,
        wanted: &wanted,
        previous: previous.as_ref(),
        world: world.as_ref(),
        skipped: &skipped,
        exact: selector.is_exact(),
    };
    let selection = match case.offered {
        Some(version) => Ok(Entry {
            name: spec.name.clone(),
            version: version.into(),
            description: None,
            artifact: "colmask.wasm".into(),
            sha256: Sha256Digest::of(version.as_bytes()),
            signature: None,
            signatures: Vec::new(),
            size: None,
            yanked: false,
            imports: None,
            exports: case
                .exports
                .map(|e| e.iter().map(|n| n.to_string()).collect()),
            sigstore_bundle: None,
            minisig: None,
        }),
        None => Err(Error::UnknownVersion {
            name: "colmask".into(),
            requested: "*".into(),
            requirement: true,
            available: Vec::new(),
            pre_releases: Vec::new(),
        }),
    };
    let entry = match choose(&survey, selection) {
        Step::Try(entry) => *entry,
        Step::Done(plan) => return describe(&plan),
    };
    if let Some(plan) = check_pin(request.pinned.as_ref(), &entry, "/r/index.json") {
        return describe(&plan);
    }
    let offer = Offer {
        entry,
        origin: None,
        claimed: Vec::new(),
        current: case.current,
        trusted: case.trusted,
        signer: case.trusted.then(|| "release".to_string()),
    };
    describe(&plan(&survey, offer))
}

/// The table `what_a_pass_does_is_planned_from_what_it_read` runs: what
/// a pass is, and the plan that follows.
const PASSES: &[(&str, Case, &str)] = &[
    (
        "nothing installed: placed",
        INSTALL,
        "place 1.0.0 Installed, recording None",
    ),
    (
        "the same version, intact: kept, the index version still recorded",
        Case {
            installed: Some(("1.0.0", None)),
            current: true,
            ..INSTALL
        },
        "keep 1.0.0: seen true, requirement as is, signer false",
    ),
    (
        "kept with a trust root: the signer re-verified is reported",
        Case {
            installed: Some(("1.0.0", None)),
            current: true,
            trusted: true,
            ..INSTALL
        },
        "keep 1.0.0: seen true, requirement as is, signer true",
    ),
    (
        "a plan's job leaves the index version to the plan",
        Case {
            installed: Some(("1.0.0", None)),
            current: true,
            planned: true,
            ..INSTALL
        },
        "keep 1.0.0: seen false, requirement as is, signer false",
    ),
    (
        "a dry run writes nothing",
        Case {
            installed: Some(("1.0.0", None)),
            current: true,
            dry_run: true,
            ..INSTALL
        },
        "keep 1.0.0: writing nothing",
    ),
    (
        "a dry run reports what it would place",
        Case {
            dry_run: true,
            ..INSTALL
        },
        "place 1.0.0 Installed, recording None (dry run)",
    ),
    (
        "the same version, not intact: reinstalled",
        Case {
            installed: Some(("1.0.0", None)),
            ..INSTALL
        },
        "place 1.0.0 Reinstalled, recording None",
    ),
    (
        "a lower version: refused",
        Case {
            installed: Some(("1.1.0", None)),
            ..INSTALL
        },
        "refuse: DowngradeRefused",
    ),
    (
        "a lower version, allowed",
        Case {
            installed: Some(("1.1.0", None)),
            allow_downgrade: true,
            ..INSTALL
        },
        "place 1.0.0 Downgraded, recording None",
    ),
    (
        "a requirement is recorded with what it placed",
        Case {
            spec: "colmask@^1",
            ..INSTALL
        },
        "place 1.0.0 Installed, recording Some(\"^1\")",
    ),
    (
        "an exact --version records no requirement",
        Case {
            spec: "colmask@^1",
            version: Some("1.0.0"),
            ..INSTALL
        },
        "place 1.0.0 Installed, recording None",
    ),
    (
        "nothing matches an install: refused",
        Case {
            offered: None,
            ..INSTALL
        },
        "refuse: UnknownVersion",
    ),
    (
        "the lock pins other bytes: refused",
        Case {
            pinned_other: true,
            ..INSTALL
        },
        "refuse: DigestMismatch",
    ),
    (
        "upgrade: the highest is installed",
        Case {
            offered: Some("1.0.0"),
            ..UPGRADE
        },
        "keep 1.0.0: seen true, requirement as is, signer false",
    ),
    (
        "upgrade: moves up",
        Case {
            offered: Some("1.2.0"),
            ..UPGRADE
        },
        "place 1.2.0 Upgraded, recording None",
    ),
    (
        "upgrade: within the requirement recorded, and records it again",
        Case {
            installed: Some(("1.0.0", Some("^1"))),
            offered: Some("1.2.0"),
            ..UPGRADE
        },
        "place 1.2.0 Upgraded, recording Some(\"^1\")",
    ),
    (
        "upgrade: a recorded requirement that does not parse is refused",
        Case {
            installed: Some(("1.0.0", Some("not a requirement"))),
            ..UPGRADE
        },
        "refuse: InvalidRequest",
    ),
    (
        "upgrade NAME@REQ at the highest match records the requirement",
        Case {
            spec: "colmask@^1",
            offered: Some("1.0.0"),
            ..UPGRADE
        },
        "keep 1.0.0: seen true, requirement records Some(\"^1\"), signer false",
    ),
    (
        "upgrade NAME@REQ the installed version does not meet: refused after seen",
        Case {
            spec: "colmask@^1",
            installed: Some(("2.0.0", None)),
            offered: Some("1.5.0"),
            ..UPGRADE
        },
        "keep 2.0.0: seen true, requirement refused (InvalidRequest), signer false",
    ),
    (
        "upgrade: nothing matches any more, so what is installed stays",
        Case {
            offered: None,
            ..UPGRADE
        },
        "keep 1.0.0: writing nothing",
    ),
    (
        "upgrade: nothing matches, and the installed one must fit the world",
        Case {
            offered: None,
            world: true,
            skipped: &["1.1.0"],
            ..UPGRADE
        },
        "keep 1.0.0, if it fits the world: writing nothing",
    ),
    (
        "upgrade NAME@REQ: nothing matching is an error",
        Case {
            spec: "colmask@^1",
            offered: None,
            ..UPGRADE
        },
        "refuse: UnknownVersion",
    ),
    (
        "a version whose exports miss the world's is passed over",
        Case {
            world: true,
            exports: Some(&["g"]),
            ..INSTALL
        },
        "skip 1.0.0",
    ),
    (
        "... unless it was named exactly",
        Case {
            world: true,
            exports: Some(&["g"]),
            version: Some("1.0.0"),
            ..INSTALL
        },
        "refuse: Incompatible",
    ),
    (
        "exports that have the world's: tried",
        Case {
            world: true,
            exports: Some(&["f"]),
            ..INSTALL
        },
        "place 1.0.0 Installed, recording None",
    ),
    (
        "every version passed over: refused as unfit",
        Case {
            world: true,
            offered: None,
            skipped: &["1.0.0"],
            ..INSTALL
        },
        "refuse: Incompatible",
    ),
    (
        "kept with a world: judged by its bytes",
        Case {
            world: true,
            installed: Some(("1.0.0", None)),
            current: true,
            ..INSTALL
        },
        "keep 1.0.0, if it fits the world: seen true, requirement as is, signer false",
    ),
];

/// The whole pass as a table (`PASSES`): what is installed, what is
/// offered, what the pipeline read, and the plan that follows.
#[test]
fn what_a_pass_does_is_planned_from_what_it_read() {
    for (what, case, expected) in PASSES {
        assert_eq!(run(case), *expected, "{what}");
    }
}
