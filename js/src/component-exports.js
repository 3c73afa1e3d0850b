// Every function the component exports (wit/installer.wit, `interface
// installer`, under jco's camelCase names) and what this package does with
// it: the name of the Node function calling it, or why there is none.
// test/exports.test.js fails when the component exports a function this
// table does not list, or lists one it no longer exports: a new export is
// given a Node function (see the patterns in index.js) or a reason here.

export const componentExports = {
  // Registries.
  loadIndex: 'loadIndex',
  findEntry: 'findEntry',
  readIndex: {
    absent:
      "its bytes are for install's `preloaded` (one fetch of the index for a run installing several " +
      'plugins), which the package does not take: each install call reads the index itself, and loadIndex returns it parsed',
  },

  // A plugins directory.
  install: 'install',
  outdated: 'outdated',
  forgetRegistry: 'forgetRegistry',
  listInstalled: 'listInstalled',
  uninstall: 'uninstall',
  clean: {
    absent:
      'only safe while holding the plugins directory\'s lock, which the package cannot take (Node has no flock); ' +
      'the package calls it itself after a trap, for the directory that call was writing',
  },
  audit: 'audit',
  verify: 'verify',
  verifyBundle: 'verifyBundle',

  // Plugin authors.
  scaffold: {
    absent:
      "fails under preview2-shim 0.26.1 ('Not supported' writing Cargo.toml): it writes through std::fs (wasi-libc), " +
      'and the shim refuses a write open asking for mutate-directory, as those appear to; the installer\'s other ' +
      'writes open files through WASI directly, which works; use `wasm-plugin new`',
  },
  keygen: {
    absent:
      'writes a private key, which must be owner-only: WASI cannot set file modes, so the Rust host sets the ' +
      "process umask while the component writes it, which a Node worker cannot do (process.umask is the whole process's); use `wasm-plugin keygen`",
  },
  sign: { absent: 'publisher tooling that reads a private key from disk; use `wasm-plugin sign`' },

  // Plugin sets.
  readManifest: 'readManifest',
  sync: {
    absent:
      'installs and removes across a plugins directory and writes wasm-plugin.lock, which must hold the ' +
      "directory's lock against other runs (Node has no flock); use `wasm-plugin sync`, or audit with `manifest` to see what it would change",
  },
  planSync: { absent: "sync's first step, for a host running several instances at once (the Rust host's `sync -j`); see sync" },
  applySyncJob: { absent: "sync's second step, for a host running several instances at once (the Rust host's `sync -j`); see sync" },
  commitSync: { absent: "sync's last step, for a host running several instances at once (the Rust host's `sync -j`); see sync" },

  // Registry operators.
  yank: { absent: 're-signs the index with a private key read from disk: publisher tooling; use `wasm-plugin publish --yank`' },
  trustWrite: { absent: "writes a trust root's root.json: key management, done where the keys are, with `wasm-plugin trust init` or `trust rotate`" },
  trustSignRoot: { absent: 'signs root.json with a private key read from disk; use `wasm-plugin trust sign FILE`' },
  trustSignIndex: { absent: 'signs an index with a private key read from disk; use `wasm-plugin trust sign --registry`' },
  trustSignEntry: { absent: "adds a publisher's signature with a private key read from disk; use `wasm-plugin trust sign --entry`" },
  trustShow: 'trustShow',
  publish: {
    absent:
      'publisher tooling: edits a registry index (or pushes to an OCI registry with credentials) and signs with a private ' +
      'key read from disk; use `wasm-plugin publish`',
  },
  mirror: {
    absent:
      'operator tooling: copies a whole registry (signing its index again with a private key from disk when it ' +
      'had to be rewritten), a long run the package cannot bound (no deadline or memory cap per call, see the README); use `wasm-plugin mirror`',
  },
  convertRegistry: {
    absent:
      'operator tooling: writes a sparse registry from a flat index, signing each plugin file with a private key ' +
      'read from disk; use `wasm-plugin registry convert`',
  },
};
