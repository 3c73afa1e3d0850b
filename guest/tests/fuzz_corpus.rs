//! Replays every input of the fuzz corpus (`fuzz/corpus/<target>/`) and every
//! crash ever saved (`fuzz/regressions/<target>/`) through the same entry
//! points the fuzz targets call, on stable, in `cargo test`: a crash found
//! once stays fixed. Fuzzing itself (nightly) is in the README.

use std::path::Path;

#[test]
fn every_corpus_input_runs_without_panicking() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut replayed = 0;
    for (target, run) in wasm_plugin_guest::fuzzing::TARGETS {
        let mut seeds = 0;
        for dir in ["corpus", "regressions"] {
            let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                // A panic here names the file, which reproduces it with
                // `cargo +nightly fuzz run <target> <file>`.
                eprintln!("replaying {}", path.display());
                run(&data);
                seeds += 1;
            }
        }
        assert!(seeds > 0, "no corpus for fuzz target {target}");
        replayed += seeds;
    }
    eprintln!("replayed {replayed} inputs");
}
