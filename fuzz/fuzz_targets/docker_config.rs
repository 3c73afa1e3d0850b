#![no_main]
//! Fuzz target `docker_config`: the host's docker config parser
//! (`host/src/credentials.rs`, `parse_docker_config`), taken in by path so
//! that fuzzing builds no wasmtime. Its corpus is replayed by the host's
//! unit tests (`cargo test -p wasm-plugin`), not the guest's (`guest/src/fuzzing.rs`).

#[allow(dead_code)]
#[path = "../../host/src/credentials.rs"]
mod credentials;

use credentials::Credential;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(hosts) = credentials::parse_docker_config(data) else {
        return;
    };
    for (host, credential) in &hosts {
        // Keyed as `host[:port]`: no scheme, no path, lowercase.
        assert!(!host.contains('/'), "{host:?}");
        assert_eq!(*host, host.to_ascii_lowercase());
        let _ = credential.header();
        // Never printed: what is shown is fixed but for the user name (a
        // secret may also happen to be a piece of that fixed text, which is
        // why this compares whole strings rather than looking for it).
        let shown = format!("{credential:?}");
        match credential {
            Credential::Token(_) => assert_eq!(shown, "Token(<redacted>)"),
            Credential::Basic { user, .. } => {
                assert_eq!(shown, format!("Basic({user}, <redacted>)"))
            }
        }
    }
});
