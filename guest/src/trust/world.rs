//! Whether a plugin fits the runtime's world: the component exports
//! everything the world exports, with the same types (the export half of
//! `wasm-tools component targets`). Imports are the capability policy's
//! concern (`capabilities`): a runtime offering WASI does not list it in
//! its plugin world.
//!
//! The types are read while the bytes stream, without holding them: the
//! [`Reducer`] keeps a component's type-bearing sections and replaces each
//! core module by a stub with the same imports, exports and function types
//! but no code, data or custom sections. wit-parser decodes that stub
//! component's world (validating it, bodies aside) exactly as it would the
//! whole component, and the two worlds are then compared structurally, as
//! the component model compares types (by shape; resources by name).

use crate::error::{Error, Result};
use crate::limits::{MAX_NESTED, MAX_NESTING, MAX_REDUCED_BYTES, MAX_WIT_BYTES};
use crate::sandbox::{self, Links};
use std::path::Path;
use wasmparser::{BinaryReader, Parser};
use wit_parser::decoding::{DecodedWasm, decode};
use wit_parser::{
    Function, Handle, Interface, Resolve, Type, TypeDefKind, TypeId, WorldId, WorldItem,
};

/// Refuses WIT text that wit-parser would panic on instead of refusing: an
/// empty block comment `/**/` (it takes every comment before an item as
/// documentation and expects `/**` ... `*/` around it). Found by the fuzz
/// target `wit` (`fuzz/regressions/wit/`).
fn readable(text: &str) -> std::result::Result<(), String> {
    match text.contains("/**/") {
        true => Err(
            "it holds `/**/`, an empty comment the WIT parser cannot read; write `/* */`".into(),
        ),
        false => Ok(()),
    }
}

/// What a nested level costs beyond its bytes, counted against the limit.
const LEVEL_OVERHEAD: u64 = 64;

/// The world a runtime loads plugins as, parsed from its WIT.
#[derive(Debug)]
pub struct TargetWorld {
    resolve: Resolve,
    world: WorldId,
    /// `world plugin (wit/plugin.wit)`, for messages.
    pub shown: String,
}

impl TargetWorld {
    /// Parses `path` (a `.wit` file, or a WIT package directory with an
    /// optional `deps/`) and selects `name`, or the package's only world.
    pub fn load(path: &Path, name: Option<&str>) -> Result<TargetWorld> {
        let invalid = |reason: String| Error::InvalidRequest {
            value: path.display().to_string(),
            reason,
        };
        sandbox::check_granted(path)?;
        let mut resolve = Resolve::default();
        let package = if path.is_dir() {
            resolve.push_dir(path).map(|(id, _)| id)
        } else {
            let bytes =
                sandbox::read_at_most(path, MAX_WIT_BYTES, Links::Follow)?.ok_or_else(|| {
                    invalid(format!("a world's WIT is at most {MAX_WIT_BYTES} bytes"))
                })?;
            let text = String::from_utf8(bytes)
                .map_err(|_| invalid("WIT is text in UTF-8; this file is not".into()))?;
            readable(&text).map_err(invalid)?;
            resolve.push_str(path, &text)
        }
        .map_err(|e| invalid(format!("the WIT does not parse: {e:#}")))?;
        TargetWorld::select(resolve, package, path, name)
    }

    /// `load` for WIT already read: `path` names it in messages.
    pub fn parse(path: &Path, text: &str, name: Option<&str>) -> Result<TargetWorld> {
        readable(text).map_err(|reason| Error::InvalidRequest {
            value: path.display().to_string(),
            reason,
        })?;
        let mut resolve = Resolve::default();
        let package = resolve
            .push_str(path, text)
            .map_err(|e| Error::InvalidRequest {
                value: path.display().to_string(),
                reason: format!("the WIT does not parse: {e:#}"),
            })?;
        TargetWorld::select(resolve, package, path, name)
    }

    fn select(
        resolve: Resolve,
        package: wit_parser::PackageId,
        path: &Path,
        name: Option<&str>,
    ) -> Result<TargetWorld> {
        let invalid = |reason: String| Error::InvalidRequest {
            value: path.display().to_string(),
            reason,
        };
        let world = resolve.select_world(&[package], name).map_err(|e| {
            let worlds: Vec<&str> = resolve.packages[package]
                .worlds
                .keys()
                .map(String::as_str)
                .collect();
            invalid(format!(
                "{e:#}; its worlds: {} (choose one with --world-name)",
                worlds.join(", ")
            ))
        })?;
        let shown = format!("world {} ({})", resolve.worlds[world].name, path.display());
        Ok(TargetWorld {
            resolve,
            world,
            shown,
        })
    }

    /// The names the world exports, as a component's export section spells
    /// them (`handle`, `wasm-plugin:plugin/events@0.1.0`).
    pub fn export_names(&self) -> Vec<String> {
        let world = &self.resolve.worlds[self.world];
        world
            .exports
            .keys()
            .map(|key| self.resolve.name_world_key(key))
            .collect()
    }

    /// The first export of the world missing from `exports` (a published
    /// list of export names), as a reason; `None` when all are there.
    pub fn missing_from(&self, exports: &[String]) -> Option<String> {
        self.export_names()
            .into_iter()
            .find(|name| !exports.contains(name))
            .map(|name| format!("it does not export `{name}`, which the world exports"))
    }

    /// Whether the component the `reduced` bytes stand for fits: `Err` with
    /// the first mismatch, in the world's order.
    pub fn check(&self, reduced: &[u8]) -> std::result::Result<(), String> {
        let (plugin, plugin_world) = match decode(reduced) {
            Ok(DecodedWasm::Component(resolve, world)) => (resolve, world),
            Ok(DecodedWasm::WitPackage(..)) => {
                return Err("it is a WIT package, not a plugin".into());
            }
            Err(e) => return Err(format!("its component type cannot be read: {e:#}")),
        };
        let ours = Side {
            resolve: &self.resolve,
        };
        let theirs = Side { resolve: &plugin };
        let exported = &plugin.worlds[plugin_world].exports;
        for (key, wanted) in &self.resolve.worlds[self.world].exports {
            let name = self.resolve.name_world_key(key);
            let found = exported
                .iter()
                .find(|(k, _)| plugin.name_world_key(k) == name)
                .map(|(_, item)| item);
            let Some(found) = found else {
                return Err(format!(
                    "it does not export `{name}`, which the world exports"
                ));
            };
            let mismatch = match (wanted, found) {
                (WorldItem::Function(a), WorldItem::Function(b)) => {
                    compare_functions(&ours, a, &theirs, b, &name)
                }
                (WorldItem::Interface { id: a, .. }, WorldItem::Interface { id: b, .. }) => {
                    compare_interfaces(
                        &ours,
                        &self.resolve.interfaces[*a],
                        &theirs,
                        &plugin.interfaces[*b],
                        &name,
                    )
                }
                (WorldItem::Type { id: a, .. }, WorldItem::Type { id: b, .. }) => {
                    (!same_type(&ours, &Type::Id(*a), &theirs, &Type::Id(*b)))
                        .then(|| format!("its type `{name}` differs from the world's"))
                }
                _ => Some(format!(
                    "its export `{name}` is another kind of item than the world's"
                )),
            };
            if let Some(mismatch) = mismatch {
                return Err(mismatch);
            }
        }
        Ok(())
    }
}

/// One of the two worlds compared.
struct Side<'a> {
    resolve: &'a Resolve,
}

impl Side<'_> {
    /// `id` with aliases (`type a = b`) followed to what they name.
    fn unalias(&self, mut ty: Type) -> Type {
        while let Type::Id(id) = ty {
            match &self.resolve.types[id].kind {
                TypeDefKind::Type(next) => ty = *next,
                _ => break,
            }
        }
        ty
    }

    /// A type as WIT spells it, for messages.
    fn show(&self, ty: &Type) -> String {
        let id = match ty {
            Type::Id(id) => *id,
            Type::Bool => return "bool".into(),
            Type::U8 => return "u8".into(),
            Type::U16 => return "u16".into(),
            Type::U32 => return "u32".into(),
            Type::U64 => return "u64".into(),
            Type::S8 => return "s8".into(),
            Type::S16 => return "s16".into(),
            Type::S32 => return "s32".into(),
            Type::S64 => return "s64".into(),
            Type::F32 => return "f32".into(),
            Type::F64 => return "f64".into(),
            Type::Char => return "char".into(),
            Type::String => return "string".into(),
            Type::ErrorContext => return "error-context".into(),
        };
        let def = &self.resolve.types[id];
        if let Some(name) = &def.name {
            return name.clone();
        }
        let opt = |t: &Option<Type>| t.as_ref().map_or("_".to_string(), |t| self.show(t));
        match &def.kind {
            TypeDefKind::List(t) => format!("list<{}>", self.show(t)),
            TypeDefKind::FixedLengthList(t, n) => format!("list<{}, {n}>", self.show(t)),
            TypeDefKind::Map(k, v) => format!("map<{}, {}>", self.show(k), self.show(v)),
            TypeDefKind::Option(t) => format!("option<{}>", self.show(t)),
            TypeDefKind::Result(r) => format!("result<{}, {}>", opt(&r.ok), opt(&r.err)),
            TypeDefKind::Tuple(t) => format!(
                "tuple<{}>",
                t.types
                    .iter()
                    .map(|t| self.show(t))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            TypeDefKind::Handle(Handle::Own(r)) => self.show(&Type::Id(*r)),
            TypeDefKind::Handle(Handle::Borrow(r)) => {
                format!("borrow<{}>", self.show(&Type::Id(*r)))
            }
            TypeDefKind::Future(t) => format!("future<{}>", opt(t)),
            TypeDefKind::Stream(t) => format!("stream<{}>", opt(t)),
            TypeDefKind::Type(t) => self.show(t),
            other => other.as_str().to_string(),
        }
    }

    fn show_function(&self, f: &Function) -> String {
        let params: Vec<String> = f
            .params
            .iter()
            .map(|p| format!("{}: {}", p.name, self.show(&p.ty)))
            .collect();
        let result = f
            .result
            .as_ref()
            .map(|r| format!(" -> {}", self.show(r)))
            .unwrap_or_default();
        format!("func({}){result}", params.join(", "))
    }
}

/// The first difference between the world's function `a` and the plugin's
/// `b`, exported as `name`.
fn compare_functions(
    ours: &Side<'_>,
    a: &Function,
    theirs: &Side<'_>,
    b: &Function,
    name: &str,
) -> Option<String> {
    let same = std::mem::discriminant(&a.kind) == std::mem::discriminant(&b.kind)
        && a.params.len() == b.params.len()
        && a.params
            .iter()
            .zip(&b.params)
            .all(|(x, y)| x.name == y.name && same_type(ours, &x.ty, theirs, &y.ty))
        && match (&a.result, &b.result) {
            (None, None) => true,
            (Some(x), Some(y)) => same_type(ours, x, theirs, y),
            _ => false,
        };
    (!same).then(|| {
        format!(
            "its `{name}` is `{}` where the world's is `{}`",
            theirs.show_function(b),
            ours.show_function(a)
        )
    })
}

/// The first of the world's interface `a` missing from, or different in,
/// the plugin's `b`. The plugin may export more than the world asks for.
fn compare_interfaces(
    ours: &Side<'_>,
    a: &Interface,
    theirs: &Side<'_>,
    b: &Interface,
    name: &str,
) -> Option<String> {
    for (type_name, id) in &a.types {
        let Some(other) = b.types.get(type_name) else {
            return Some(format!("its `{name}` has no type `{type_name}`"));
        };
        if !same_type(ours, &Type::Id(*id), theirs, &Type::Id(*other)) {
            return Some(format!("its `{name}` has another type `{type_name}`"));
        }
    }
    for (function_name, f) in &a.functions {
        let Some(other) = b.functions.get(function_name) else {
            return Some(format!("its `{name}` has no function `{function_name}`"));
        };
        let qualified = format!("{name}#{function_name}");
        if let Some(mismatch) = compare_functions(ours, f, theirs, other, &qualified) {
            return Some(mismatch);
        }
    }
    None
}

/// Whether `a` (in the world) and `b` (in the plugin) are the same type as
/// the component model sees it: by structure, names of records and the
/// like aside; resources by name. WIT types cannot recurse except through
/// resources, which are not descended into, so this terminates.
fn same_type(ours: &Side<'_>, a: &Type, theirs: &Side<'_>, b: &Type) -> bool {
    let (a, b) = (ours.unalias(*a), theirs.unalias(*b));
    let (a, b) = match (a, b) {
        (Type::Id(a), Type::Id(b)) => (a, b),
        (Type::Id(_), _) | (_, Type::Id(_)) => return false,
        (a, b) => return a == b,
    };
    let same = |x: &Type, y: &Type| same_type(ours, x, theirs, y);
    let same_opt = |x: &Option<Type>, y: &Option<Type>| match (x, y) {
        (None, None) => true,
        (Some(x), Some(y)) => same(x, y),
        _ => false,
    };
    use TypeDefKind as K;
    match (&ours.resolve.types[a].kind, &theirs.resolve.types[b].kind) {
        (K::Record(x), K::Record(y)) => {
            x.fields.len() == y.fields.len()
                && x.fields
                    .iter()
                    .zip(&y.fields)
                    .all(|(f, g)| f.name == g.name && same(&f.ty, &g.ty))
        }
        (K::Variant(x), K::Variant(y)) => {
            x.cases.len() == y.cases.len()
                && x.cases
                    .iter()
                    .zip(&y.cases)
                    .all(|(c, d)| c.name == d.name && same_opt(&c.ty, &d.ty))
        }
        (K::Enum(x), K::Enum(y)) => {
            x.cases.len() == y.cases.len()
                && x.cases.iter().zip(&y.cases).all(|(c, d)| c.name == d.name)
        }
        (K::Flags(x), K::Flags(y)) => {
            x.flags.len() == y.flags.len()
                && x.flags.iter().zip(&y.flags).all(|(f, g)| f.name == g.name)
        }
        (K::Tuple(x), K::Tuple(y)) => {
            x.types.len() == y.types.len() && x.types.iter().zip(&y.types).all(|(s, t)| same(s, t))
        }
        (K::List(x), K::List(y)) | (K::Option(x), K::Option(y)) => same(x, y),
        (K::FixedLengthList(x, n), K::FixedLengthList(y, m)) => n == m && same(x, y),
        (K::Map(k, v), K::Map(l, w)) => same(k, l) && same(v, w),
        (K::Result(x), K::Result(y)) => same_opt(&x.ok, &y.ok) && same_opt(&x.err, &y.err),
        (K::Future(x), K::Future(y)) | (K::Stream(x), K::Stream(y)) => same_opt(x, y),
        (K::Handle(Handle::Own(x)), K::Handle(Handle::Own(y)))
        | (K::Handle(Handle::Borrow(x)), K::Handle(Handle::Borrow(y))) => {
            same_resource(ours, *x, theirs, *y)
        }
        (K::Resource, K::Resource) => same_resource(ours, a, theirs, b),
        _ => false,
    }
}

/// Resources are nominal: the same name, defined by interfaces of the same
/// name (or both by the world itself).
fn same_resource(ours: &Side<'_>, a: TypeId, theirs: &Side<'_>, b: TypeId) -> bool {
    let owner = |side: &Side<'_>, id: TypeId| match side.resolve.types[id].owner {
        wit_parser::TypeOwner::Interface(i) => side
            .resolve
            .id_of(i)
            .or_else(|| side.resolve.interfaces[i].name.clone()),
        _ => None,
    };
    let (a, b) = match (ours.unalias(Type::Id(a)), theirs.unalias(Type::Id(b))) {
        (Type::Id(a), Type::Id(b)) => (a, b),
        _ => return false,
    };
    ours.resolve.types[a].name == theirs.resolve.types[b].name && owner(ours, a) == owner(theirs, b)
}

// Section ids: the component model's binary format, and the core spec's.
const CORE_MODULE: u8 = 1;
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

fn write_leb(out: &mut Vec<u8>, mut value: u64) {
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

#[cfg(test)]
mod tests {
    use super::*;

    const PLUGIN_WIT: &str = "package wasm-plugin:plugin@0.1.0;
        world plugin {
            export name: func() -> string;
            export handle: func(input: list<u8>) -> result<list<u8>, string>;
        }";

    fn world(text: &str, name: Option<&str>) -> TargetWorld {
        TargetWorld::parse(Path::new("plugin.wit"), text, name).unwrap()
    }

    /// A component exporting `name` and, under `handle_as`, a function of
    /// type `handle_type`; with a custom section of `padding` bytes in its
    /// core module and at the top.
    fn component(handle_as: &str, handle_type: &str, padding: usize) -> Vec<u8> {
        let mut bytes = wat::parse_str(format!(
            r#"(component
                 (core module $m
                   (memory (export "memory") 1)
                   (func (export "realloc") (param i32 i32 i32 i32) (result i32) unreachable)
                   (func (export "name") (result i32) unreachable)
                   (func (export "handle") (param i32 i32) (result i32) unreachable)
                   (@custom "padding" "{pad}"))
                 (core instance $i (instantiate $m))
                 (alias core export $i "memory" (core memory $mem))
                 (alias core export $i "realloc" (core func $realloc))
                 (func $name (result string)
                   (canon lift (core func $i "name") (memory $mem) (realloc $realloc)))
                 (func $handle {handle_type}
                   (canon lift (core func $i "handle") (memory $mem) (realloc $realloc)))
                 (export "name" (func $name))
                 (export "{handle_as}" (func $handle)))"#,
            pad = "x".repeat(padding),
        ))
        .unwrap();
        // A custom section at the top, after everything.
        bytes.push(0);
        write_leb(&mut bytes, 5 + padding as u64);
        bytes.extend_from_slice(b"\x04tail");
        bytes.extend(std::iter::repeat_n(b'y', padding));
        bytes
    }

    const HANDLE: &str = r#"(param "input" (list u8)) (result (result (list u8) (error string)))"#;

    fn reduce_in_pieces(bytes: &[u8], piece: usize) -> std::result::Result<Vec<u8>, String> {
        let mut reducer = Reducer::new();
        for chunk in bytes.chunks(piece) {
            reducer.update(chunk);
        }
        reducer.finish()
    }

    #[test]
    fn a_component_exporting_the_world_fits_whatever_the_pieces() {
        let target = world(PLUGIN_WIT, None);
        let bytes = component("handle", HANDLE, 100);
        let whole = reduce_in_pieces(&bytes, bytes.len()).unwrap();
        assert_eq!(target.check(&whole), Ok(()));
        for piece in 1..=40 {
            assert_eq!(
                reduce_in_pieces(&bytes, piece).as_ref(),
                Ok(&whole),
                "{piece}"
            );
        }
    }

    #[test]
    fn custom_sections_and_code_are_not_held() {
        let bytes = component("handle", HANDLE, 2 << 20);
        let reduced = reduce_in_pieces(&bytes, 64 << 10).unwrap();
        assert!(reduced.len() < 4096, "{}", reduced.len());
        assert_eq!(world(PLUGIN_WIT, None).check(&reduced), Ok(()));
    }

    #[test]
    fn a_renamed_export_is_named() {
        let target = world(PLUGIN_WIT, None);
        let reduced = reduce_in_pieces(&component("handle-event", HANDLE, 0), 7).unwrap();
        let mismatch = target.check(&reduced).unwrap_err();
        assert!(
            mismatch.contains("does not export `handle`, which the world exports"),
            "{mismatch}"
        );
        assert_eq!(
            target.missing_from(&["name".into(), "handle-event".into()]),
            Some(mismatch)
        );
        assert_eq!(target.missing_from(&["name".into(), "handle".into()]), None);
    }

    #[test]
    fn another_type_is_shown_beside_the_worlds() {
        let target = world(PLUGIN_WIT, None);
        let other = r#"(param "input" string) (result (result (list u8) (error string)))"#;
        let reduced = reduce_in_pieces(&component("handle", other, 0), 3).unwrap();
        let mismatch = target.check(&reduced).unwrap_err();
        assert!(
            mismatch.contains(
                "its `handle` is `func(input: string) -> result<list<u8>, string>` where the \
                 world's is `func(input: list<u8>) -> result<list<u8>, string>`"
            ),
            "{mismatch}"
        );
        // A parameter's name is part of the type.
        let renamed = r#"(param "data" (list u8)) (result (result (list u8) (error string)))"#;
        let reduced = reduce_in_pieces(&component("handle", renamed, 0), 1024).unwrap();
        assert!(target.check(&reduced).is_err());
    }

    #[test]
    fn a_plugin_may_export_more_than_the_world() {
        let target = world(
            "package a:b; world w { export handle: func(input: list<u8>) -> result<list<u8>, string>; }",
            None,
        );
        let reduced = reduce_in_pieces(&component("handle", HANDLE, 0), 1024).unwrap();
        assert_eq!(target.check(&reduced), Ok(()));
    }

    #[test]
    fn interfaces_are_compared_function_by_function() {
        let wit = "package test:w@0.1.0;
            interface api { area: func(w: u32, h: u32) -> u64; }
            world w { export api; }";
        let exported = |result: &str| {
            wat::parse_str(format!(
                r#"(component
                     (core module $m (func (export "area") (param i32 i32) (result {core}) unreachable))
                     (core instance $i (instantiate $m))
                     (func $area (param "w" u32) (param "h" u32) (result {result})
                       (canon lift (core func $i "area")))
                     (instance $api (export "area" (func $area)))
                     (export "test:w/api@0.1.0" (instance $api)))"#,
                core = if result == "u64" { "i64" } else { "i32" },
            ))
            .unwrap()
        };
        let target = world(wit, None);
        assert_eq!(target.export_names(), ["test:w/api@0.1.0"]);
        let fits = reduce_in_pieces(&exported("u64"), 5).unwrap();
        assert_eq!(target.check(&fits), Ok(()));
        let mismatch = target
            .check(&reduce_in_pieces(&exported("u32"), 5).unwrap())
            .unwrap_err();
        assert!(mismatch.contains("test:w/api@0.1.0#area"), "{mismatch}");
    }

    #[test]
    fn what_cannot_be_judged_says_why() {
        let module = wat::parse_str("(module (func (export \"handle\")))").unwrap();
        let reason = reduce_in_pieces(&module, 3).unwrap_err();
        assert!(reason.contains("core module"), "{reason}");
        assert!(
            reduce_in_pieces(b"not wasm at all", 3)
                .unwrap_err()
                .contains("not a WebAssembly")
        );
        let bytes = component("handle", HANDLE, 10);
        for cut in [4, 9, 40, bytes.len() - 1] {
            assert!(reduce_in_pieces(&bytes[..cut], 7).is_err(), "{cut}");
        }
        // A function count no section could hold.
        let mut lie =
            wat::parse_str("(component (core module (type (func)) (func) (func)))").unwrap();
        let at = lie
            .windows(3)
            .position(|w| w == [3, 3, 2])
            .expect("the function section");
        lie[at + 2] = 0x7f;
        assert!(reduce_in_pieces(&lie, 1).is_err());
    }

    #[test]
    fn nesting_types_and_size_are_bounded() {
        // Empty nested components, one inside the other, past the depth.
        let mut deep = String::from("(component");
        for _ in 0..=MAX_NESTING {
            deep.push_str(" (component");
        }
        deep.push_str(&")".repeat(MAX_NESTING + 2));
        let reason = reduce_in_pieces(&wat::parse_str(&deep).unwrap(), 64).unwrap_err();
        assert!(reason.contains("nest too deep"), "{reason}");
        // Side by side, past the count: each costs its level, so many
        // cannot grow the stub unchecked.
        let wide = format!(
            "(component {})",
            "(component) ".repeat(MAX_NESTED as usize + 1)
        );
        let reason = reduce_in_pieces(&wat::parse_str(&wide).unwrap(), 64).unwrap_err();
        assert!(reason.contains("too many"), "{reason}");
        // A nested module shorter than its header, with more after it.
        let bytes = [
            &b"\0asm\x0d\0\x01\0"[..],
            &[CORE_MODULE, 4, 0, 0x61, 0x73, 0x6d],
            &[0, 3, 2, b'x', b'y'],
        ]
        .concat();
        let reason = reduce_in_pieces(&bytes, 1).unwrap_err();
        assert!(reason.contains("malformed"), "{reason}");
        // A section longer than the limit (counted in u64: on wasm32 a
        // usize sum of its length would wrap).
        let mut huge = b"\0asm\x0d\0\x01\0".to_vec();
        huge.extend_from_slice(&[7, 0xf8, 0xff, 0xff, 0xff, 0x0f]);
        let reason = reduce_in_pieces(&huge, 3).unwrap_err();
        assert!(reason.contains("MiB"), "{reason}");
    }

    #[test]
    fn a_file_with_several_worlds_needs_a_name() {
        let wit = "package a:b; world one { export f: func(); } world two { export g: func(); }";
        let error = TargetWorld::parse(Path::new("w.wit"), wit, None).unwrap_err();
        assert!(error.to_string().contains("one, two"), "{error}");
        assert_eq!(world(wit, Some("two")).export_names(), ["g"]);
        let bad = TargetWorld::parse(Path::new("w.wit"), "package a:b; world {", None);
        assert!(bad.unwrap_err().to_string().contains("does not parse"));
    }
}
