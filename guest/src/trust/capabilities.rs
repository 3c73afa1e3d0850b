//! What a plugin can do, read from its own bytes while they stream: a
//! component's imports and exports as WIT names (`wasi:sockets/tcp@0.2.3`),
//! a core module's as `module/field` and export names.
//!
//! Only the top-level import and export sections are kept, each read whole
//! (bounded by `MAX_SECTION_BYTES`); every other section, nested modules and
//! components included, is skipped as it passes, so memory does not grow
//! with the artefact. wasmparser decodes the section framing and contents.
//! Bytes that are not WebAssembly, or that break off, leave the plugin's
//! capabilities unknown: that is for a policy to judge, not an error here
//! (registries hold test artefacts and the loader's format allows anything).

use crate::limits::{MAX_NAME_BYTES, MAX_NAMES, MAX_SECTION_BYTES};
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
    /// imports that could not be read (`None`) break any policy.
    pub fn offences(&self, imports: Option<&[String]>) -> Vec<String> {
        if self.is_empty() {
            return Vec::new();
        }
        let Some(imports) = imports else {
            return vec![
                "its imports cannot be read: it is not a WebAssembly component or module".into(),
            ];
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
    fn push(&mut self, names: &mut Vec<String>, name: &str) -> std::result::Result<(), ()> {
        if self.names == 0 || name.len() > self.bytes {
            return Err(());
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
    /// Not WebAssembly, malformed, or a section too large.
    Failed,
}

impl Introspector {
    pub fn new() -> Introspector {
        Introspector::default()
    }

    pub fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() && self.state != State::Failed {
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
                State::Failed => return,
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
                    None => State::Failed,
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
                                self.state = State::Failed;
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
                    Err(_) => self.state = State::Failed,
                }
            }
            State::Section(id, len) if self.buffer.len() == len => {
                if self.read_section(id).is_err() {
                    self.state = State::Failed;
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
    fn read_section(&mut self, id: u8) -> std::result::Result<(), ()> {
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
                    .map_err(drop)
                    .and_then(|section| {
                        section.into_iter().try_for_each(|import| {
                            let name = import.map_err(drop)?.name;
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
                    .map_err(drop)
                    .and_then(|section| {
                        section.into_iter().try_for_each(|export| {
                            budget.push(&mut names, &export.map_err(drop)?.name.full_name())
                        })
                    })
            }
            (Some(Kind::Module), CORE_IMPORT_SECTION) => ImportSectionReader::new(reader)
                .map_err(drop)
                .and_then(|section| {
                    section.into_imports().try_for_each(|import| {
                        let import = import.map_err(drop)?;
                        budget.push(&mut names, &format!("{}/{}", import.module, import.name))
                    })
                }),
            (Some(Kind::Module), CORE_EXPORT_SECTION) => ExportSectionReader::new(reader)
                .map_err(drop)
                .and_then(|section| {
                    section
                        .into_iter()
                        .try_for_each(|export| budget.push(&mut names, export.map_err(drop)?.name))
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
    /// boundary.
    pub fn finish(self) -> Option<Capabilities> {
        let complete =
            self.state == State::SectionHeader && self.buffer.is_empty() && self.skip == 0;
        match (complete, self.kind) {
            (true, Some(kind)) => Some(Capabilities {
                kind,
                imports: self.imports,
                exports: self.exports,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8], piece: usize) -> Option<Capabilities> {
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
        assert_eq!(read(b"\0asm colmask", 3), None);
        assert_eq!(read(b"not wasm at all", 3), None);
        let bytes = wat::parse_str(COMPONENT).unwrap();
        assert_eq!(read(&bytes[..bytes.len() - 3], 16), None, "cut short");
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
        assert!(ImportPolicy::default().offences(None).is_empty());
        assert_eq!(
            deny.offences(None).len(),
            1,
            "unreadable imports break a policy"
        );
    }

    #[test]
    fn names_past_the_limits_leave_the_capabilities_unknown() {
        let many: String = (0..MAX_NAMES + 1)
            .map(|i| format!("(import \"m\" \"f{i}\" (func))"))
            .collect();
        let bytes = wat::parse_str(format!("(module {many})")).unwrap();
        assert_eq!(read(&bytes, 4096), None);
        let few: String = (0..10)
            .map(|i| format!("(import \"m\" \"f{i}\" (func))"))
            .collect();
        let bytes = wat::parse_str(format!("(module {few})")).unwrap();
        assert_eq!(read(&bytes, 1).unwrap().imports.len(), 10);
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
        assert_eq!(read(&bytes, 1), None);
        // A length whose LEB128 never ends.
        let mut bytes = wat::parse_str("(component)").unwrap();
        bytes.extend_from_slice(&[COMPONENT_IMPORT_SECTION, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(read(&bytes, 1), None);
    }
}
