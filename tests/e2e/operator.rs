//! The operator's loop (issue 12): what is out of date, and upgrades that
//! keep to the requirement a plugin was installed with.

use crate::util::*;

#[test]
fn outdated_and_upgrade_keep_to_the_requirement_given_at_install() {
    let env = Env::new();
    let key = Key::new(73);
    key.trust(&env, "trust", "release");
    let mut reg = Registry::new("reg");
    reg.publish(&env, "colmask", "1.2.0", b"\0asm colmask 1.2.0", Some(&key));
    reg.publish(&env, "rowfilter", "1.0.0", b"\0asm rowfilter", Some(&key));
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&[
            "--registry",
            "reg/index.json",
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
        ]);
        env.run(&all)
    };
    run(&["install", "colmask@~1.2", "rowfilter"]).expect(OK);
    reg.publish(&env, "colmask", "1.2.5", b"\0asm colmask 1.2.5", Some(&key));
    reg.publish(&env, "colmask", "1.3.0", b"\0asm colmask 1.3.0", Some(&key));

    let rows = run(&["outdated", "--json"]).expect(OK).json();
    assert_eq!(
        rows,
        serde_json::json!([
            {"name": "colmask", "installed": "1.2.0", "requirement": "~1.2", "wanted": "1.2.5", "latest": "1.3.0"},
            {"name": "rowfilter", "installed": "1.0.0", "requirement": null, "wanted": "1.0.0", "latest": "1.0.0"},
        ])
    );
    let text = run(&["outdated"]).expect(OK).stdout;
    assert!(
        text.contains("colmask    1.2.0      1.2.5   1.3.0   ~1.2"),
        "{text}"
    );

    // The plan first: nothing fetched, nothing changed.
    let before = env.snapshot("plugins");
    let plan = run(&["upgrade", "--all", "--dry-run"]).expect(OK).stdout;
    assert!(
        plan.contains("would upgrade colmask 1.2.0 -> 1.2.5"),
        "{plan}"
    );
    assert!(plan.contains("rowfilter 1.0.0 is up to date"), "{plan}");
    assert_eq!(env.snapshot("plugins"), before);

    // upgrade --all stays within ~1.2.
    run(&["upgrade", "--all"]).expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), b"\0asm colmask 1.2.5");
    // upgrade NAME@REQ moves it and records the new requirement.
    run(&["upgrade", "colmask@^1"]).expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), b"\0asm colmask 1.3.0");
    let rows = run(&["outdated", "--json"]).expect(OK).json();
    assert_eq!(rows[0]["requirement"], "^1");
    assert_eq!(rows[0]["installed"], rows[0]["latest"]);
}
