//! The [`Reducer`]: a component's type-bearing sections kept while its
//! bytes stream, each core module replaced by a stub with the same imports,
//! exports and function types but no code, data or custom sections, so a
//! world can be decoded from it without holding the whole binary.

use crate::limits::{MAX_NESTED, MAX_NESTING, MAX_REDUCED_BYTES};
use wasmparser::{BinaryReader, Parser};

/// What a nested level costs beyond its bytes, counted against the limit.
const LEVEL_OVERHEAD: u64 = 64;

pub(super) const CORE_MODULE: u8 = 1;
const COMPONENT: u8 = 4;
const CUSTOM: u8 = 0;
const CODE: u8 = 10;
const FUNCTION: u8 = 3;
/// The core sections a stub keeps: type, import, function, table, memory,
/// global, export and tag. Dropped: custom, start, element, code (a stub
/// body per function stands in), data and data count.
const CORE_KEPT: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 13];

/// The magic, version and layer.
const HEADER_BYTES: usize = 8;

/// What a nesting level is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Component,
    Module,
}

/// A component or module being read, and its stub so far.
#[derive(Debug)]
struct Level {
    kind: Kind,
    /// Where its bytes end in the artefact; `None` at the top.
    end: Option<u64>,
    /// The stub's bytes so far.
    out: Vec<u8>,
    /// Functions the module defines (its function section's count).
    functions: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Header,
    SectionHeader,
    /// A kept section of this id and length is being gathered.
    Section(u8, usize),
    Failed,
}

/// Builds the stub component from an artefact fed piece by piece.
#[derive(Debug)]
pub struct Reducer {
    /// Bytes held: a header, a section header, or a kept section.
    buffer: Vec<u8>,
    /// Offset in the artefact of the next byte fed.
    position: u64,
    /// Bytes still to pass over (a section dropped).
    skip: u64,
    state: State,
    levels: Vec<Level>,
    /// Why the fit cannot be judged, once it cannot.
    failure: Option<String>,
    /// What the stub holds and will hold (section headers, levels and stub
    /// code included), against `MAX_REDUCED_BYTES`.
    held: u64,
    /// Nested modules and components met.
    nested: u32,
}

impl Default for Reducer {
    fn default() -> Reducer {
        Reducer::new()
    }
}

impl Reducer {
    pub fn new() -> Reducer {
        Reducer {
            buffer: Vec::new(),
            position: 0,
            skip: 0,
            state: State::Header,
            levels: vec![Level {
                kind: Kind::Component,
                end: None,
                out: Vec::new(),
                functions: 0,
            }],
            failure: None,
            held: 0,
            nested: 0,
        }
    }

    pub fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() && self.state != State::Failed {
            if self.skip > 0 {
                let n = self.skip.min(data.len() as u64) as usize;
                self.skip -= n as u64;
                self.position += n as u64;
                data = &data[n..];
                if self.skip == 0 {
                    self.section_done();
                }
                continue;
            }
            let wanted = match self.state {
                State::Header => HEADER_BYTES - self.buffer.len(),
                // An id and a LEB128 length, a byte at a time so nothing
                // of the body is taken with them.
                State::SectionHeader => 1,
                State::Section(_, len) => len - self.buffer.len(),
                State::Failed => return,
            };
            let n = wanted.min(data.len());
            self.buffer.extend_from_slice(&data[..n]);
            self.position += n as u64;
            data = &data[n..];
            self.step();
        }
    }

    fn fail(&mut self, reason: impl Into<String>) {
        self.state = State::Failed;
        self.failure.get_or_insert_with(|| reason.into());
        self.buffer = Vec::new();
        self.levels.truncate(1);
        self.levels[0].out = Vec::new();
    }

    fn level(&mut self) -> &mut Level {
        self.levels
            .last_mut()
            .expect("the top level is never popped")
    }

    /// Counts `bytes` more against the limit; `false` (and failed) past it.
    fn charge(&mut self, bytes: u64) -> bool {
        self.held = self.held.saturating_add(bytes);
        if self.held > MAX_REDUCED_BYTES {
            self.fail(format!(
                "its type information takes more than {} MiB",
                MAX_REDUCED_BYTES >> 20
            ));
            return false;
        }
        true
    }

    /// Advances once the buffer holds what the state waits for.
    fn step(&mut self) {
        match self.state {
            State::Header if self.buffer.len() == HEADER_BYTES => {
                let kind = self.level().kind;
                let fits = match kind {
                    Kind::Component => Parser::is_component(&self.buffer),
                    Kind::Module => Parser::is_core_wasm(&self.buffer),
                };
                if !fits {
                    let reason = match (self.levels.len(), Parser::is_core_wasm(&self.buffer)) {
                        (1, true) => "it is a core module, not a component: it has no world",
                        (1, false) => "it is not a WebAssembly component",
                        _ => "a nested module or component is malformed",
                    };
                    return self.fail(reason);
                }
                let header = std::mem::take(&mut self.buffer);
                if !self.charge(HEADER_BYTES as u64) {
                    return;
                }
                self.level().out.extend_from_slice(&header);
                self.state = State::SectionHeader;
                self.section_done();
            }
            State::SectionHeader => {
                let mut reader = BinaryReader::new(&self.buffer, 0);
                let parsed = reader
                    .read_u8()
                    .and_then(|id| Ok((id, reader.read_var_u32()?)));
                match parsed {
                    Ok((id, len)) => {
                        self.buffer.clear();
                        self.section(id, len);
                    }
                    Err(_) if self.buffer.len() < 6 => {}
                    Err(_) => self.fail("a section header is malformed"),
                }
            }
            State::Section(id, len) if self.buffer.len() == len => {
                let body = std::mem::take(&mut self.buffer);
                if self.level().kind == Kind::Module && id == FUNCTION {
                    // Each entry takes a byte at least: a count past that is
                    // malformed, and would ask for a stub of that many bodies.
                    match BinaryReader::new(&body, 0).read_var_u32() {
                        Ok(count) if count as usize <= body.len() => self.level().functions = count,
                        _ => return self.fail("a function section is malformed"),
                    }
                }
                write_section(&mut self.level().out, id, &body);
                self.state = State::SectionHeader;
                self.section_done();
            }
            _ => {}
        }
    }

    /// A section of `id` and `len` starts: kept, descended into, or passed.
    fn section(&mut self, id: u8, len: u32) {
        let end = self.position + u64::from(len);
        if self.level().end.is_some_and(|level_end| end > level_end) {
            return self.fail("a section runs past the module holding it");
        }
        let kind = self.level().kind;
        let nested = match (kind, id) {
            (Kind::Component, CORE_MODULE) => Some(Kind::Module),
            (Kind::Component, COMPONENT) => Some(Kind::Component),
            _ => None,
        };
        if let Some(kind) = nested {
            if u64::from(len) < HEADER_BYTES as u64 {
                return self.fail("a nested module or component is malformed");
            }
            self.nested += 1;
            if self.levels.len() > MAX_NESTING || self.nested > MAX_NESTED {
                return self.fail("its modules and components nest too deep, or are too many");
            }
            if !self.charge(LEVEL_OVERHEAD) {
                return;
            }
            self.levels.push(Level {
                kind,
                end: Some(end),
                out: Vec::new(),
                functions: 0,
            });
            self.state = State::Header;
            return;
        }
        let kept = match kind {
            Kind::Component => id != CUSTOM,
            Kind::Module => CORE_KEPT.contains(&id),
        };
        if !kept || len == 0 {
            self.skip = u64::from(len);
            if len == 0 {
                self.section_done();
            }
            return;
        }
        // The section, and its header as the stub writes it again.
        if !self.charge(u64::from(len) + 6) {
            return;
        }
        self.state = State::Section(id, len as usize);
    }

    /// After a section (or a header): closes every level that ends here,
    /// appending its stub to the level holding it.
    fn section_done(&mut self) {
        while self.levels.len() > 1 {
            let end = self.level().end.expect("nested levels have an end");
            if self.position < end {
                return;
            }
            if self.position > end {
                return self.fail("a nested module or component runs past its section");
            }
            if self.state != State::SectionHeader {
                return self.fail("a nested module or component breaks off");
            }
            let level = self.levels.pop().expect("more than one level");
            let mut out = level.out;
            let id = match level.kind {
                Kind::Module => {
                    if !self.charge(3 * u64::from(level.functions) + 6) {
                        return;
                    }
                    if level.functions > 0 {
                        write_section(&mut out, CODE, &stub_code(level.functions));
                    }
                    CORE_MODULE
                }
                Kind::Component => COMPONENT,
            };
            write_section(&mut self.level().out, id, &out);
        }
    }

    /// The stub component, or why the plugin's fit cannot be judged.
    pub fn finish(self) -> std::result::Result<Vec<u8>, String> {
        if let Some(failure) = self.failure {
            return Err(failure);
        }
        let complete = self.state == State::SectionHeader
            && self.buffer.is_empty()
            && self.skip == 0
            && self.levels.len() == 1;
        if !complete {
            return Err("its bytes break off".into());
        }
        Ok(self.levels.into_iter().next().expect("the top level").out)
    }
}

/// Appends a section: its id, its length as LEB128, its body.
fn write_section(out: &mut Vec<u8>, id: u8, body: &[u8]) {
    out.push(id);
    write_leb(out, body.len() as u64);
    out.extend_from_slice(body);
}

pub(super) fn write_leb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A code section of `count` bodies that declare no locals and end at once.
/// Bodies are not validated when a world is decoded, so their types need
/// not match; only their number does.
fn stub_code(count: u32) -> Vec<u8> {
    let mut body = Vec::with_capacity(5 + 3 * count as usize);
    write_leb(&mut body, u64::from(count));
    for _ in 0..count {
        // Size 2: no local declarations, `end`.
        body.extend_from_slice(&[2, 0, 0x0b]);
    }
    body
}
