//! What a plugin can do, read from its own bytes while they stream: a
//! component's imports and exports as WIT names (`wasi:sockets/tcp@0.2.3`),
//! a core module's as `module/field` and export names.
//!
//! Only the top-level import and export sections are kept, each read whole
//! (bounded by `MAX_SECTION_BYTES`); every other section, nested modules and
//! components included, is skipped as it passes, so memory does not grow
//! with the artefact. wasmparser decodes the section framing and contents.
//! Bytes that are not WebAssembly, that break off, or whose names pass the
//! limits leave the plugin's capabilities unknown, with the reason
//! (`Unreadable`): that is for a policy to judge, not an error here
//! (registries hold test artefacts and the loader's format allows anything).

use crate::limits::{MAX_NAME_BYTES, MAX_NAMES, MAX_SECTION_BYTES};
use std::fmt;
use wasmparser::{
    BinaryReader, ComponentExportSectionReader, ComponentImportSectionReader, ExportSectionReader,
    ImportSectionReader, Parser,
};

// Section ids (the component model's binary format, and the core spec's).
const COMPONENT_IMPORT_SECTION: u8 = 10;
const COMPONENT_EXPORT_SECTION: u8 = 11;
const CORE_IMPORT_SECTION: u8 = 2;
const CORE_EXPORT_SECTION: u8 = 7;

/// The magic, version and layer.
const HEADER_BYTES: usize = 8;

/// What kind of WebAssembly the bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Component,
    Module,
}

/// A plugin's imports and exports, in the order its bytes list them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    pub kind: Kind,
    pub imports: Vec<String>,
    pub exports: Vec<String>,
}

/// Why a plugin's imports and exports are unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreadable {
    /// No WebAssembly component or module header.
    NotWasm,
    /// WebAssembly that breaks off, or whose framing or import and export
    /// sections do not decode.
    Malformed,
    /// An import or export section longer than `MAX_SECTION_BYTES`.
    SectionTooLarge { bytes: u64 },
    /// More imports and exports than `MAX_NAMES`.
    TooManyNames,
    /// Import and export names longer in all than `MAX_NAME_BYTES`.
    NamesTooLong,
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unreadable::NotWasm => f.write_str("it is not a WebAssembly component or module"),
            Unreadable::Malformed => f.write_str(
                "it is WebAssembly whose imports and exports cannot be decoded (cut short or \
                 malformed)",
            ),
            Unreadable::SectionTooLarge { bytes } => write!(
                f,
                "it has an import or export section of {bytes} bytes, over the limit of \
                 {MAX_SECTION_BYTES} bytes the installer reads"
            ),
            Unreadable::TooManyNames => write!(
                f,
                "its imports and exports exceed the limit of {MAX_NAMES} names the installer reads"
            ),
            Unreadable::NamesTooLong => write!(
                f,
                "its import and export names exceed the limit of {MAX_NAME_BYTES} bytes in all \
                 the installer reads"
            ),
        }
    }
}

/// Which imports a plugin may have: globs over the import names (`*` any
/// run of characters, `?` one). An import matching a `deny` glob is refused;
/// with any `allow` glob, so is one matching none of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportPolicy {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

impl ImportPolicy {
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.deny.is_empty()
    }

    /// Each of `imports` that breaks the policy, with the rule it breaks;
    /// imports that could not be read break any policy, and the offence
    /// says why they could not.
    pub fn offences(&self, imports: Result<&[String], &Unreadable>) -> Vec<String> {
        if self.is_empty() {
            return Vec::new();
        }
        let imports = match imports {
            Ok(imports) => imports,
            Err(why) => {
                return vec![format!(
                    "its imports cannot be read: {why}, so what it may do is unknown and a \
                     policy refuses it"
                )];
            }
        };
        let matches = |glob: &String, name: &str| wildmatch::WildMatch::new(glob).matches(name);
        imports
            .iter()
            .filter_map(|import| {
                if let Some(rule) = self.deny.iter().find(|g| matches(g, import)) {
                    return Some(format!("{import} (denied by '{rule}')"));
                }
                let allowed =
                    self.allow.is_empty() || self.allow.iter().any(|g| matches(g, import));
                (!allowed)
                    .then(|| format!("{import} (allowed are only: {})", self.allow.join(", ")))
            })
            .collect()
    }
}

/// What is left of the limits on names kept.
struct Budget {
    names: usize,
    bytes: usize,
}

impl Budget {
    /// Keeps `name` if the limits allow; `Err` past them.
    fn push(&mut self, names: &mut Vec<String>, name: &str) -> Result<(), Unreadable> {
        if self.names == 0 {
            return Err(Unreadable::TooManyNames);
        }
        if name.len() > self.bytes {
            return Err(Unreadable::NamesTooLong);
        }
        self.names -= 1;
        self.bytes -= name.len();
        names.push(name.to_string());
        Ok(())
    }
}

/// Reads the capabilities of bytes fed to it piece by piece.
#[derive(Debug, Default)]
pub struct Introspector {
    /// Bytes held: the header, a section header, or a kept section.
    buffer: Vec<u8>,
    /// Offset of `buffer[0]` in the artefact.
    offset: u64,
    /// Bytes still to pass over (a section not kept).
    skip: u64,
    state: State,
    kind: Option<Kind>,
    imports: Vec<String>,
    exports: Vec<String>,
    /// Bytes of the names kept so far.
    name_bytes: usize,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    #[default]
    Header,
    SectionHeader,
    /// A kept section of this id and length is being gathered.
    Section(u8, usize),
    /// Not WebAssembly, malformed, or past a limit.
    Failed(Unreadable),
}

impl Introspector {
    pub fn new() -> Introspector {
        Introspector::default()
    }

    pub fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() && !matches!(self.state, State::Failed(_)) {
            // Pass over what is skipped without holding it.
            if self.skip > 0 {
                let n = (self.skip.min(data.len() as u64)) as usize;
                self.skip -= n as u64;
                self.offset += n as u64;
                data = &data[n..];
                continue;
            }
            // Take what the current step needs, no more.
            let wanted = match self.state {
                State::Header => HEADER_BYTES - self.buffer.len(),
                // id + a LEB128 u32 length: at most 6 bytes; fed one at a
                // time so nothing of the body is taken with it.
                State::SectionHeader => 1,
                State::Section(_, len) => len - self.buffer.len(),
                State::Failed(_) => return,
            };
            let n = wanted.min(data.len());
            self.buffer.extend_from_slice(&data[..n]);
            data = &data[n..];
            self.step();
        }
    }

    /// Advances once the buffer holds what the state waits for.
    fn step(&mut self) {
        match self.state {
            State::Header if self.buffer.len() == HEADER_BYTES => {
                self.kind = if Parser::is_component(&self.buffer) {
                    Some(Kind::Component)
                } else if Parser::is_core_wasm(&self.buffer) {
                    Some(Kind::Module)
                } else {
                    None
                };
                self.state = match self.kind {
                    Some(_) => State::SectionHeader,
                    None => State::Failed(Unreadable::NotWasm),
                };
                self.consume();
            }
            State::SectionHeader => {
                let mut reader = BinaryReader::new(&self.buffer, self.offset);
                let parsed = reader
                    .read_u8()
                    .and_then(|id| Ok((id, reader.read_var_u32()?)));
                match parsed {
                    Ok((id, len)) => {
                        self.consume();
                        // An empty section lists nothing: passed over too.
                        if self.keeps(id) && len > 0 {
                            if len as usize > MAX_SECTION_BYTES {
                                self.state = State::Failed(Unreadable::SectionTooLarge {
                                    bytes: u64::from(len),
                                });
                            } else {
                                self.state = State::Section(id, len as usize);
                            }
                        } else {
                            self.skip = u64::from(len);
                        }
                    }
                    // Not all of the LEB128 yet: wait for the next byte
                    // (a length is at most five).
                    Err(_) if self.buffer.len() < 6 => {}
                    Err(_) => self.state = State::Failed(Unreadable::Malformed),
                }
            }
            State::Section(id, len) if self.buffer.len() == len => {
                if let Err(why) = self.read_section(id) {
                    self.state = State::Failed(why);
                    return;
                }
                self.consume();
                self.state = State::SectionHeader;
            }
            _ => {}
        }
    }

    fn keeps(&self, id: u8) -> bool {
        match self.kind {
            Some(Kind::Component) => {
                id == COMPONENT_IMPORT_SECTION || id == COMPONENT_EXPORT_SECTION
            }
            Some(Kind::Module) => id == CORE_IMPORT_SECTION || id == CORE_EXPORT_SECTION,
            None => false,
        }
    }

    /// Reads a kept section; `Err` (the capabilities unknown) when it is
    /// malformed or its names pass the limits.
    fn read_section(&mut self, id: u8) -> Result<(), Unreadable> {
        let buffer = std::mem::take(&mut self.buffer);
        let reader = BinaryReader::new(&buffer, self.offset);
        let mut names = Vec::new();
        let mut budget = Budget {
            names: MAX_NAMES.saturating_sub(self.imports.len() + self.exports.len()),
            bytes: MAX_NAME_BYTES.saturating_sub(self.name_bytes),
        };
        let read = match (self.kind, id) {
            (Some(Kind::Component), COMPONENT_IMPORT_SECTION) => {
                ComponentImportSectionReader::new(reader)
                    .map_err(malformed)
                    .and_then(|section| {
                        section.into_iter().try_for_each(|import| {
                            let name = import.map_err(malformed)?.name;
                            // An import that implements an interface under a
                            // label of its own is that interface's capability:
                            // recorded (and judged) by the interface.
                            let shown = match name.full_implements() {
                                Some(interface) => interface,
                                None => name.full_name(),
                            };
                            budget.push(&mut names, &shown)
                        })
                    })
            }
            (Some(Kind::Component), COMPONENT_EXPORT_SECTION) => {
                ComponentExportSectionReader::new(reader)
                    .map_err(malformed)
                    .and_then(|section| {
                        section.into_iter().try_for_each(|export| {
                            budget.push(&mut names, &export.map_err(malformed)?.name.full_name())
                        })
                    })
            }
            (Some(Kind::Module), CORE_IMPORT_SECTION) => ImportSectionReader::new(reader)
                .map_err(malformed)
                .and_then(|section| {
                    section.into_imports().try_for_each(|import| {
                        let import = import.map_err(malformed)?;
                        budget.push(&mut names, &format!("{}/{}", import.module, import.name))
                    })
                }),
            (Some(Kind::Module), CORE_EXPORT_SECTION) => ExportSectionReader::new(reader)
                .map_err(malformed)
                .and_then(|section| {
                    section.into_iter().try_for_each(|export| {
                        budget.push(&mut names, export.map_err(malformed)?.name)
                    })
                }),
            _ => Ok(()),
        };
        self.buffer = buffer;
        read?;
        self.name_bytes += names.iter().map(String::len).sum::<usize>();
        match id {
            COMPONENT_IMPORT_SECTION | CORE_IMPORT_SECTION => self.imports.extend(names),
            _ => self.exports.extend(names),
        }
        Ok(())
    }

    /// Drops the buffer, moving the offset past it.
    fn consume(&mut self) {
        self.offset += self.buffer.len() as u64;
        self.buffer.clear();
    }

    /// The capabilities, if the bytes were WebAssembly read to a section
    /// boundary within the limits; else why not.
    pub fn finish(self) -> Result<Capabilities, Unreadable> {
        let complete =
            self.state == State::SectionHeader && self.buffer.is_empty() && self.skip == 0;
        match (self.state, complete, self.kind) {
            (State::Failed(why), _, _) => Err(why),
            (_, true, Some(kind)) => Ok(Capabilities {
                kind,
                imports: self.imports,
                exports: self.exports,
            }),
            // Not even a whole header.
            (_, _, None) => Err(Unreadable::NotWasm),
            // Broken off inside a section or its header.
            _ => Err(Unreadable::Malformed),
        }
    }
}

/// Any error of wasmparser's: a kept section that does not decode.
fn malformed<E>(_: E) -> Unreadable {
    Unreadable::Malformed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8], piece: usize) -> Result<Capabilities, Unreadable> {
        let mut introspector = Introspector::new();
        for chunk in bytes.chunks(piece.max(1)) {
            introspector.update(chunk);
        }
        introspector.finish()
    }

    const COMPONENT: &str = r#"
        (component
          (import "wasi:sockets/tcp@0.2.3" (instance))
          (import "wasi:io/streams@0.2.3" (instance))
          (core module $m (func (export "f")) (data "lots of bytes that are skipped"))
          (core instance $i (instantiate $m))
          (func $h (canon lift (core func $i "f")))
          (export "handle" (func $h))
        )"#;

    #[test]
    fn a_components_imports_and_exports_are_read_whatever_the_piece_size() {
        let bytes = wat::parse_str(COMPONENT).unwrap();
        for piece in [1, 2, 3, 7, 64, 1 << 20] {
            let caps = read(&bytes, piece).expect("a component");
            assert_eq!(caps.kind, Kind::Component);
            assert_eq!(
                caps.imports,
                ["wasi:sockets/tcp@0.2.3", "wasi:io/streams@0.2.3"],
                "{piece}"
            );
            assert_eq!(caps.exports, ["handle"], "{piece}");
        }
    }

    #[test]
    fn a_core_modules_imports_are_module_slash_field() {
        let bytes = wat::parse_str(
            r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
                       (memory (export "memory") 1))"#,
        )
        .unwrap();
        let caps = read(&bytes, 5).unwrap();
        assert_eq!(caps.kind, Kind::Module);
        assert_eq!(caps.imports, ["wasi_snapshot_preview1/fd_write"]);
        assert_eq!(caps.exports, ["memory"]);
    }

    #[test]
    fn other_bytes_have_no_capabilities() {
        assert_eq!(read(b"\0asm colmask", 3), Err(Unreadable::NotWasm));
        assert_eq!(read(b"not wasm at all", 3), Err(Unreadable::NotWasm));
        assert_eq!(read(b"\0as", 3), Err(Unreadable::NotWasm));
        let bytes = wat::parse_str(COMPONENT).unwrap();
        assert_eq!(
            read(&bytes[..bytes.len() - 3], 16),
            Err(Unreadable::Malformed),
            "cut short"
        );
    }

    #[test]
    fn a_policy_names_each_import_it_refuses_and_the_rule() {
        let caps = read(&wat::parse_str(COMPONENT).unwrap(), 64);
        let deny = ImportPolicy {
            allow: vec![],
            deny: vec!["wasi:sockets/*".into()],
        };
        assert_eq!(
            deny.offences(caps.as_ref().map(|c| c.imports.as_slice())),
            ["wasi:sockets/tcp@0.2.3 (denied by 'wasi:sockets/*')"]
        );
        let allow = ImportPolicy {
            allow: vec!["wasi:io/*".into()],
            deny: vec![],
        };
        assert_eq!(
            allow.offences(caps.as_ref().map(|c| c.imports.as_slice())),
            ["wasi:sockets/tcp@0.2.3 (allowed are only: wasi:io/*)"]
        );
        let unknown = Err(&Unreadable::NotWasm);
        assert!(ImportPolicy::default().offences(unknown).is_empty());
        assert_eq!(
            deny.offences(unknown),
            [
                "its imports cannot be read: it is not a WebAssembly component or module, so what \
              it may do is unknown and a policy refuses it"
            ],
            "unreadable imports break a policy"
        );
    }

    #[test]
    fn names_past_the_limits_leave_the_capabilities_unknown() {
        let many: String = (0..MAX_NAMES + 1)
            .map(|i| format!("(import \"m\" \"f{i}\" (func))"))
            .collect();
        let bytes = wat::parse_str(format!("(module {many})")).unwrap();
        assert_eq!(read(&bytes, 4096), Err(Unreadable::TooManyNames));
        let few: String = (0..10)
            .map(|i| format!("(import \"m\" \"f{i}\" (func))"))
            .collect();
        let bytes = wat::parse_str(format!("(module {few})")).unwrap();
        assert_eq!(read(&bytes, 1).unwrap().imports.len(), 10);
    }

    #[test]
    fn a_policy_refusing_a_component_past_the_name_limit_names_the_limit() {
        let many: String = (0..=MAX_NAMES)
            .map(|i| format!("(import \"f{i}\" (func))"))
            .collect();
        let bytes = wat::parse_str(format!("(component {many})")).unwrap();
        let why = read(&bytes, 1 << 16).unwrap_err();
        assert_eq!(why, Unreadable::TooManyNames);
        let policy = ImportPolicy {
            allow: vec!["wasi:*".into()],
            deny: vec![],
        };
        let offences = policy.offences(Err(&why));
        assert_eq!(
            offences,
            [format!(
                "its imports cannot be read: its imports and exports exceed the limit of \
                 {MAX_NAMES} names the installer reads, so what it may do is unknown and a \
                 policy refuses it"
            )]
        );
        assert!(!offences[0].contains("not a WebAssembly"), "{offences:?}");
    }

    #[test]
    fn names_longer_in_all_than_the_limit_are_named_as_such() {
        // Two sections, each under the section limit, whose names together
        // pass the limit on their bytes (but not on their number).
        let long = |i: usize| format!("{i:0>200}");
        let imports: String = (0..3000)
            .map(|i| format!("(import \"m\" \"{}\" (func))", long(i)))
            .collect();
        let exports: String = (0..3000)
            .map(|i| format!("(export \"{}\" (func 0))", long(i)))
            .collect();
        let bytes = wat::parse_str(format!("(module {imports} {exports})")).unwrap();
        let why = read(&bytes, 1 << 16).unwrap_err();
        assert_eq!(why, Unreadable::NamesTooLong);
        assert!(
            why.to_string().contains(&format!("{MAX_NAME_BYTES} bytes")),
            "{why}"
        );
    }

    #[test]
    fn an_import_implementing_an_interface_is_named_by_the_interface() {
        let bytes = wat::parse_str(
            r#"(component (import "store" (implements "wasi:sockets/tcp@0.2.3") (instance)))"#,
        );
        // Older text parsers may not know `implements`; the binary form is
        // what matters, so skip when this one cannot write it.
        let Ok(bytes) = bytes else {
            return;
        };
        assert_eq!(read(&bytes, 3).unwrap().imports, ["wasi:sockets/tcp@0.2.3"]);
    }

    #[test]
    fn a_kept_section_larger_than_the_limit_or_a_bad_length_is_unknown() {
        // Component header, then an import section claiming 2 MiB.
        let mut bytes = wat::parse_str("(component)").unwrap();
        bytes.extend_from_slice(&[COMPONENT_IMPORT_SECTION, 0x80, 0x80, 0x80, 0x01]);
        assert_eq!(
            read(&bytes, 1),
            Err(Unreadable::SectionTooLarge { bytes: 2 << 20 })
        );
        // A length whose LEB128 never ends.
        let mut bytes = wat::parse_str("(component)").unwrap();
        bytes.extend_from_slice(&[COMPONENT_IMPORT_SECTION, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(read(&bytes, 1), Err(Unreadable::Malformed));
    }
}
