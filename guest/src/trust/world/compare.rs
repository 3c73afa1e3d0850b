//! Comparing worlds: a runtime's, parsed from its WIT ([`TargetWorld`]),
//! against a plugin's, decoded from the stub the reducer built, by shape
//! as the component model compares types (resources by name).

use crate::error::{Error, Result};
use crate::limits::MAX_WIT_BYTES;
use crate::sandbox::{self, Links};
use std::path::Path;
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
