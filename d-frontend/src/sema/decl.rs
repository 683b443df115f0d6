//! Declarations and type names: `struct`/`union`/`enum` definitions with C's layout, `typedef`,
//! `inline`, and the resolution of a type name to a [`Type`]. A declaration of variables (no
//! storage class, `self` or `this`) has its type specifier resolved here, and each declarator goes
//! on to `var`, which keeps the variable table.
//!
//! Names resolve as in libdtrace: C's integer keywords and D's own typedefs first, then what the
//! program declared, then the kernel's types from the catalog. A backquoted scope (`` D`s ``,
//! `` vmlinux`task_struct ``) picks the program's or the kernel's types only.

use super::Checker;
use crate::ast::{Decl, DeclClass, Declarator, Expr, TagBody, TagKind, TypeName, TypeSpec};
use crate::diagnostic::ErrTag;
use crate::provider::KernelNamespace;
use crate::source::Span;
use crate::types::{
    IntegerWordsError, Member, StructDef, Type, d_typedef, float_type_name, integer_type_name,
};

/// Where a name is looked up, from its backquoted scope.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Any,
    Program,
    Kernel,
}

/// Splits `` module`name `` into the origin it asks for and the name.
fn scoped(name: &str) -> (Origin, &str) {
    match name.split_once('`') {
        Some(("D", rest)) => (Origin::Program, rest),
        Some(("", rest)) => (Origin::Any, rest),
        Some((_, rest)) => (Origin::Kernel, rest),
        None => (Origin::Any, name),
    }
}

impl Checker<'_> {
    /// Resolves a type name in a cast, `sizeof` or `offsetof`; reports and returns `None` when
    /// it names no type.
    pub(super) fn type_name(&mut self, ty: &TypeName) -> Option<Type> {
        let words: Vec<&str> = ty.words.iter().map(String::as_str).collect();
        let base = match self.named_type(&words) {
            Ok(base) => base,
            Err(tag) => {
                self.unknown_type(tag, ty, &words);
                return None;
            }
        };
        let mut resolved = base?;
        for _ in 0..ty.pointer_depth {
            resolved = self.type_info.table.pointer_to(resolved);
        }
        Some(resolved)
    }

    fn unknown_type(&mut self, tag: ErrTag, ty: &TypeName, words: &[&str]) {
        if tag == ErrTag::D_DECL_COMBO {
            self.error(tag, ty.span, "invalid type combination");
            return;
        }
        if tag == ErrTag::D_DECL_SIGNINT {
            self.error(
                tag,
                ty.span,
                "invalid type declaration: signed and unsigned may only be used with integer type",
            );
            return;
        }
        let stars = "*".repeat(ty.pointer_depth as usize);
        self.error(
            tag,
            ty.span,
            format!(
                "failed to resolve type {} {stars}: Unknown type name",
                words.join(" ")
            ),
        );
    }

    /// The type specifier words name. `Ok(None)` for a tag that is not defined anywhere; `Err`
    /// carries the tag to report.
    pub(super) fn named_type(&mut self, words: &[&str]) -> Result<Option<Type>, ErrTag> {
        let words: Vec<&str> = words
            .iter()
            .copied()
            .filter(|word| !matches!(*word, "const" | "volatile" | "restrict"))
            .collect();
        match words.as_slice() {
            [keyword @ ("struct" | "union" | "enum"), tag] => {
                let kind = match *keyword {
                    "struct" => TagKind::Struct,
                    "union" => TagKind::Union,
                    _ => TagKind::Enum,
                };
                self.tagged_type(kind, tag)
                    .map(Some)
                    .ok_or(ErrTag::D_UNKNOWN)
            }
            ["void"] => Ok(Some(Type::Void)),
            ["string"] => Ok(Some(Type::String)),
            _ => match float_type_name(&words).or_else(|| integer_type_name(&words)) {
                Some(Ok(ty)) => Ok(Some(ty)),
                Some(Err(IntegerWordsError::Combination)) => Err(ErrTag::D_DECL_COMBO),
                Some(Err(IntegerWordsError::Unknown)) => Err(ErrTag::D_UNKNOWN),
                Some(Err(IntegerWordsError::SignedFloat)) => Err(ErrTag::D_DECL_SIGNINT),
                None => match words.as_slice() {
                    [name] => self.typedef(name).map(Some).ok_or(ErrTag::D_UNKNOWN),
                    _ => Err(ErrTag::D_UNKNOWN),
                },
            },
        }
    }

    /// A typedef name: D's own, the program's, then the kernel's.
    pub(super) fn typedef(&mut self, name: &str) -> Option<Type> {
        let (origin, name) = scoped(name);
        if origin != Origin::Kernel {
            if let Some(ty) = d_typedef(name) {
                return Some(ty);
            }
            if let Some(&ty) = self.scope.typedefs.get(name) {
                return Some(ty);
            }
        }
        if origin == Origin::Program {
            return None;
        }
        let id = self
            .catalog
            .kernel_type_named(KernelNamespace::Plain, name)?;
        self.type_info.table.import_kernel(self.catalog, id)
    }

    /// `struct tag`, `union tag` or `enum tag`: the program's, then the kernel's.
    fn tagged_type(&mut self, kind: TagKind, tag: &str) -> Option<Type> {
        let (origin, tag) = scoped(tag);
        if origin != Origin::Kernel
            && let Some(&ty) = self.scope.tags.get(&(kind, tag.to_owned()))
        {
            return Some(ty);
        }
        if origin == Origin::Program {
            return None;
        }
        let namespace = match kind {
            TagKind::Struct => KernelNamespace::Struct,
            TagKind::Union => KernelNamespace::Union,
            TagKind::Enum => KernelNamespace::Enum,
        };
        let id = self.catalog.kernel_type_named(namespace, tag)?;
        self.type_info.table.import_kernel(self.catalog, id)
    }

    /// Checks a declaration at the outer level.
    pub(super) fn declaration(&mut self, decl: &Decl) {
        if self.prototypes(decl) {
            return;
        }
        if let DeclClass::Other(word) = &decl.class
            && matches!(word.as_str(), "auto" | "register" | "static")
        {
            self.error(
                ErrTag::D_DECL_BADCLASS,
                decl.span,
                "specified storage class not appropriate in D",
            );
            return;
        }
        if let DeclClass::Other(word) = &decl.class
            && !decl.declarators.is_empty()
        {
            self.error(
                ErrTag::D_UNKNOWN,
                decl.span,
                format!("{word} variable declarations are not supported yet"),
            );
            return;
        }
        let base = match &decl.ty {
            Some(ty) => match self.type_spec(ty) {
                Some(base) => base,
                None => return,
            },
            None => Type::INT,
        };
        if decl.declarators.is_empty() {
            if !matches!(decl.ty, Some(TypeSpec::Tagged { .. })) || decl.class != DeclClass::None {
                self.error(ErrTag::D_DECL_USELESS, decl.span, "useless declaration");
            }
            return;
        }
        for declarator in &decl.declarators {
            if declarator.name.contains('`') {
                self.error(
                    ErrTag::D_DECL_SCOPE,
                    declarator.span,
                    format!(
                        "D scoping operator may not be used in a declaration name ({})",
                        declarator.name
                    ),
                );
                continue;
            }
            match decl.class.var_scope() {
                Some(scope) => self.var_declaration(scope, base, declarator),
                None if decl.class == DeclClass::Typedef => {
                    self.typedef_declaration(base, declarator);
                }
                None => self.inline_declaration(base, declarator),
            }
        }
    }

    fn typedef_declaration(&mut self, base: Type, declarator: &Declarator) {
        if !self.no_keys(declarator) {
            return;
        }
        let Some(ty) = self.declarator_type(base, declarator) else {
            return;
        };
        // D's own typedefs (`int8_t`, `uint64_t` ...) and the D library's (`processorid_t`) live
        // in another container than the program's, as in libdtrace, so a program may declare
        // them again (`#include <stdint.h>` under -C does); D's own still names the type.
        let name = &declarator.name;
        let from_library = |span: Span| self.library.contains(&span.file);
        if self.scope.typedefs.contains_key(name)
            && (from_library(declarator.span)
                || !self.scope.library_typedefs.contains(name.as_str()))
        {
            self.error(
                ErrTag::D_DECL_IDRED,
                declarator.span,
                format!("typedef redeclared: {name}"),
            );
            return;
        }
        if from_library(declarator.span) {
            self.scope.library_typedefs.insert(name.clone());
        }
        self.scope.typedefs.insert(name.clone(), ty);
    }

    /// Whether a declarator that is not a variable's has no key types; reports one that has.
    pub(super) fn no_keys(&mut self, declarator: &Declarator) -> bool {
        if declarator.keys.is_none() {
            return true;
        }
        self.error(
            ErrTag::D_UNKNOWN,
            declarator.span,
            format!(
                "key types may only be declared for associative array variables: {}",
                declarator.name
            ),
        );
        false
    }

    /// The type a declarator gives its base type: pointers, then array dimensions.
    pub(super) fn declarator_type(&mut self, base: Type, declarator: &Declarator) -> Option<Type> {
        let mut ty = base;
        for _ in 0..declarator.pointer_depth {
            ty = self.type_info.table.pointer_to(ty);
        }
        for dim in declarator.dims.iter().rev() {
            let len = self.positive_constant(dim, ErrTag::D_DECL_ARRSUB, "array size")?;
            if ty == Type::Void {
                self.error(
                    ErrTag::D_DECL_VOIDOBJ,
                    declarator.span,
                    "cannot declare array of void",
                );
                return None;
            }
            ty = self.type_info.table.array_of(ty, len);
        }
        Some(ty)
    }

    /// A positive integer constant (an array size, a bitfield width), or a report.
    fn positive_constant(&mut self, expr: &Expr, tag: ErrTag, what: &str) -> Option<u32> {
        self.expr(expr);
        let value = self
            .fold(expr)
            .and_then(|value| u32::try_from(value as i64).ok())
            .filter(|value| *value > 0);
        if value.is_none() {
            self.error(
                tag,
                expr.span,
                format!("positive integral constant expression expected as {what}"),
            );
        }
        value
    }

    /// The type a specifier names, defining a struct, union or enum body on the way.
    pub(super) fn type_spec(&mut self, spec: &TypeSpec) -> Option<Type> {
        match spec {
            TypeSpec::Named { words, span } => self.type_name(&TypeName {
                words: words.clone(),
                pointer_depth: 0,
                span: *span,
            }),
            TypeSpec::Tagged {
                kind,
                tag,
                body,
                span,
            } => match body {
                None => {
                    let tag = tag.as_deref().unwrap_or_default();
                    Some(match self.tagged_type(*kind, tag) {
                        Some(ty) => ty,
                        None => self.forward(*kind, tag),
                    })
                }
                Some(TagBody::Enumerators(enumerators)) => {
                    self.define_enum(tag.as_deref(), enumerators, *span)
                }
                Some(TagBody::Members(members)) => {
                    self.define_struct(*kind, tag.as_deref(), members, *span)
                }
            },
        }
    }

    /// Declares a struct or union (or enum) the program names before defining it.
    fn forward(&mut self, kind: TagKind, tag: &str) -> Type {
        let ty = if kind == TagKind::Enum {
            Type::INT
        } else {
            self.type_info.table.add_struct(StructDef {
                name: Some(tag.to_owned()),
                union: kind == TagKind::Union,
                size: 0,
                align: 1,
                members: None,
                kernel: None,
            })
        };
        self.scope.tags.insert((kind, tag.to_owned()), ty);
        ty
    }

    fn define_struct(
        &mut self,
        kind: TagKind,
        tag: Option<&str>,
        members: &[crate::ast::MemberDecl],
        span: Span,
    ) -> Option<Type> {
        let union = kind == TagKind::Union;
        let existing = tag.and_then(|tag| self.scope.tags.get(&(kind, tag.to_owned())).copied());
        let id = match existing {
            Some(Type::Struct(id)) if self.type_info.table.struct_def(id).members.is_none() => id,
            Some(ty) => {
                let name = self.type_info.table.name(ty);
                self.error(
                    ErrTag::D_DECL_TYPERED,
                    span,
                    format!("type redeclared: {name}"),
                );
                return None;
            }
            None => {
                let ty = match tag {
                    Some(tag) => self.forward(kind, tag),
                    None => self.type_info.table.add_struct(StructDef {
                        name: None,
                        union,
                        size: 0,
                        align: 1,
                        members: None,
                        kernel: None,
                    }),
                };
                let Type::Struct(id) = ty else {
                    unreachable!("a struct or union forward is a struct type, not {ty:?}");
                };
                id
            }
        };
        let layout = self.lay_out(union, members)?;
        self.type_info
            .table
            .complete_struct(id, layout.0, layout.1, layout.2);
        Some(Type::Struct(id))
    }

    /// Lays out members as C does: each at the next offset aligned for its type (0 in a union),
    /// bitfields packed into units of their type. Returns the members, size and alignment.
    fn lay_out(
        &mut self,
        union: bool,
        members: &[crate::ast::MemberDecl],
    ) -> Option<(Vec<Member>, u32, u32)> {
        let mut laid_out: Vec<Member> = Vec::new();
        let mut bit_cursor = 0u32;
        let mut max_bits = 0u32;
        let mut align = 1u32;
        let mut ok = true;
        let strsize = self.strsize;
        for member in members {
            let Some(base) = self.type_spec(&member.ty) else {
                ok = false;
                continue;
            };
            let anonymous = [Declarator {
                name: String::new(),
                pointer_depth: 0,
                dims: Vec::new(),
                keys: None,
                key_names: Vec::new(),
                bits: None,
                init: None,
                params: None,
                span: member.span,
            }];
            let declarators = if member.declarators.is_empty() {
                &anonymous[..]
            } else {
                &member.declarators[..]
            };
            for declarator in declarators {
                if !self.no_keys(declarator) {
                    ok = false;
                    continue;
                }
                let Some(ty) = self.declarator_type(base, declarator) else {
                    ok = false;
                    continue;
                };
                let name = &declarator.name;
                if !name.is_empty() && laid_out.iter().any(|known| &known.name == name) {
                    self.error(
                        ErrTag::D_UNKNOWN,
                        declarator.span,
                        format!(
                            "failed to define member '{name}': Duplicate member or variable name"
                        ),
                    );
                    ok = false;
                    continue;
                }
                if ty == Type::Void {
                    self.error(
                        ErrTag::D_DECL_VOIDOBJ,
                        declarator.span,
                        format!("cannot have void member: {name}"),
                    );
                    ok = false;
                    continue;
                }
                let Some(size) = self.type_info.table.size_of(ty, strsize) else {
                    let type_name = self.type_info.table.name(ty);
                    self.error(
                        ErrTag::D_DECL_INCOMPLETE,
                        declarator.span,
                        format!("incomplete struct/union/enum {type_name}: {name}"),
                    );
                    ok = false;
                    continue;
                };
                let type_align = self.type_info.table.align_of(ty);
                align = align.max(type_align);
                let unit_bits = size * 8;
                let (bit_offset, bit_size) = match &declarator.bits {
                    Some(bits) => {
                        let width = self.bitfield_width(bits, ty, declarator)?;
                        let start = if union { 0 } else { bit_cursor };
                        let start = if start % unit_bits + width > unit_bits {
                            start.next_multiple_of(unit_bits)
                        } else {
                            start
                        };
                        (start, width)
                    }
                    None => {
                        let start = if union { 0 } else { bit_cursor };
                        (start.next_multiple_of(type_align * 8), 0)
                    }
                };
                let end = bit_offset + if bit_size == 0 { unit_bits } else { bit_size };
                max_bits = max_bits.max(end);
                if !union {
                    bit_cursor = end;
                }
                laid_out.push(Member {
                    name: name.clone(),
                    ty,
                    bit_offset,
                    bit_size,
                });
            }
        }
        if !ok {
            return None;
        }
        let size = max_bits.div_ceil(8).next_multiple_of(align);
        Some((laid_out, size, align))
    }

    fn bitfield_width(&mut self, bits: &Expr, ty: Type, declarator: &Declarator) -> Option<u32> {
        let name = &declarator.name;
        let width = self.positive_constant(bits, ErrTag::D_DECL_BFCONST, "bit-field size")?;
        let Type::Int { size, .. } = ty else {
            self.error(
                ErrTag::D_DECL_BFTYPE,
                declarator.span,
                format!("invalid type for bit-field: {name}"),
            );
            return None;
        };
        if width > u32::from(size) * 8 {
            self.error(
                ErrTag::D_DECL_BFSIZE,
                declarator.span,
                format!("bit-field too big for type: {name}"),
            );
            return None;
        }
        Some(width)
    }

    fn define_enum(
        &mut self,
        tag: Option<&str>,
        enumerators: &[crate::ast::Enumerator],
        span: Span,
    ) -> Option<Type> {
        if let Some(tag) = tag
            && self
                .scope
                .tags
                .contains_key(&(TagKind::Enum, tag.to_owned()))
        {
            self.error(
                ErrTag::D_DECL_TYPERED,
                span,
                format!("type redeclared: enum {tag}"),
            );
            return None;
        }
        let mut next = 0i64;
        let mut names: Vec<&str> = Vec::new();
        for enumerator in enumerators {
            let name = enumerator.name.as_str();
            if let Some(value) = &enumerator.value {
                self.expr(value);
                let Some(folded) = self.fold(value).filter(|_| self.is_integer_expr(value)) else {
                    self.error(
                        ErrTag::D_DECL_ENCONST,
                        value.span,
                        format!(
                            "enumerator '{name}' must be assigned to an integral constant expression"
                        ),
                    );
                    continue;
                };
                next = self.signed_value(value, folded);
            }
            if next > i64::from(i32::MAX) {
                self.error(
                    ErrTag::D_DECL_ENOFLOW,
                    enumerator.span,
                    format!("enumerator '{name}' value overflows INT_MAX (2147483647)"),
                );
                continue;
            }
            if next < i64::from(i32::MIN) {
                self.error(
                    ErrTag::D_DECL_ENOFLOW,
                    enumerator.span,
                    format!("enumerator '{name}' value overflows INT_MIN (-2147483648)"),
                );
                continue;
            }
            if names.contains(&name) {
                self.error(
                    ErrTag::D_UNKNOWN,
                    enumerator.span,
                    format!(
                        "failed to define enumerator '{name}': Duplicate member or variable name"
                    ),
                );
                continue;
            }
            if self.scope.enumerators.contains_key(name) {
                self.error(
                    ErrTag::D_DECL_IDRED,
                    enumerator.span,
                    format!("identifier redeclared: {name}"),
                );
                continue;
            }
            names.push(name);
            self.scope
                .enumerators
                .insert(name.to_owned(), (next, Type::INT));
            next += 1;
        }
        if let Some(tag) = tag {
            self.scope
                .tags
                .insert((TagKind::Enum, tag.to_owned()), Type::INT);
        }
        Some(Type::INT)
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::{constants_of, errors_of, traced_constant};

    const RECORD: &str =
        "struct rec { char c; int i; short h; long l; unsigned a : 3, b : 7; char name[5]; };";

    #[test]
    fn structs_are_laid_out_as_in_c() {
        let value = |expr: &str| constants_of(&format!("{RECORD} BEGIN {{ trace({expr}); }}"))[0];
        assert_eq!(value("offsetof(struct rec, i)"), 4);
        assert_eq!(value("offsetof(struct rec, h)"), 8);
        assert_eq!(value("offsetof(struct rec, l)"), 16);
        assert_eq!(value("offsetof(struct rec, name)"), 26);
        assert_eq!(value("sizeof(struct rec)"), 32);
    }

    #[test]
    fn unions_take_their_largest_member() {
        let values = constants_of(
            "union u { char c; int a[3]; short s; }; BEGIN { trace(sizeof(union u)); trace(offsetof(union u, s)); }",
        );
        assert_eq!(values, [12, 0]);
    }

    #[test]
    fn enumerators_count_on_from_the_last_value() {
        let program = "enum e { A, B = 5, C, D = C * 2 + A }; BEGIN { trace(D); }";
        assert_eq!(constants_of(program), [12]);
    }

    #[test]
    fn typedefs_chain_and_inline_constants_fold() {
        assert_eq!(traced_constant("sizeof(uint16_t)"), 2);
        assert_eq!(traced_constant("sizeof(unsigned long long)"), 8);
        let program = "typedef short s16; typedef s16 alias; inline alias NEG = 65535; BEGIN { trace(NEG); trace(sizeof(alias)); }";
        let values = constants_of(program);
        assert_eq!(values, [u64::MAX, 2]);
    }

    #[test]
    fn floating_point_types_have_c_sizes_and_alignment() {
        assert_eq!(traced_constant("sizeof(float)"), 4);
        assert_eq!(traced_constant("sizeof(double)"), 8);
        assert_eq!(traced_constant("sizeof(long double)"), 16);
        let program = "struct m { char c; float f; double d; long double ld; short s; }; typedef double real_t; real_t r; BEGIN { trace(offsetof(struct m, f)); trace(offsetof(struct m, d)); trace(offsetof(struct m, ld)); trace(sizeof(struct m)); trace(sizeof(r)); }";
        assert_eq!(constants_of(program), [4, 8, 16, 48, 8]);
    }

    #[test]
    fn floating_point_words_combine_as_in_libdtrace() {
        for (program, expected) in [
            (
                "BEGIN { x = (double double)0; }",
                "[D_DECL_COMBO] invalid type combination",
            ),
            (
                "BEGIN { x = (float double)0; }",
                "[D_DECL_COMBO] invalid type combination",
            ),
            (
                "unsigned float f;",
                "[D_DECL_SIGNINT] invalid type declaration: signed and unsigned may only be used with integer type",
            ),
            (
                "long double ld;",
                "[D_UNKNOWN] variables of type long double are not supported yet",
            ),
        ] {
            let errors = errors_of(program);
            assert!(
                errors.iter().any(|error| error.contains(expected)),
                "{program}: {errors:?}"
            );
        }
    }

    #[test]
    fn d_typedefs_may_be_declared_again_as_system_headers_do() {
        let values = constants_of(
            "typedef signed char int8_t; typedef unsigned long int uint64_t;\nBEGIN { trace((int8_t)1); trace((uint64_t)2); }",
        );
        assert!(values.contains(&1) && values.contains(&2), "{values:?}");
        let errors = errors_of("typedef int8_t t; typedef char t;");
        assert!(
            errors
                .iter()
                .any(|error| error.contains("[D_DECL_IDRED] typedef redeclared: t")),
            "{errors:?}"
        );
    }

    #[test]
    fn declaration_errors_use_libdtrace_words() {
        for (program, expected) in [
            (
                "typedef int t; typedef char t;",
                "[D_DECL_IDRED] typedef redeclared: t",
            ),
            (
                "enum a { X }; enum b { X };",
                "[D_DECL_IDRED] identifier redeclared: X",
            ),
            (
                "enum e { x = 3, x = 4 };",
                "[D_UNKNOWN] failed to define enumerator 'x': Duplicate member or variable name",
            ),
            (
                "enum e { big = 2147483648 };",
                "[D_DECL_ENOFLOW] enumerator 'big' value overflows INT_MAX (2147483647)",
            ),
            (
                "enum e { s = \"no\" };",
                "[D_DECL_ENCONST] enumerator 's' must be assigned to an integral constant expression",
            ),
            (
                "struct s { int x; char x; };",
                "[D_UNKNOWN] failed to define member 'x': Duplicate member or variable name",
            ),
            (
                "struct r { struct pirate p; };",
                "[D_DECL_INCOMPLETE] incomplete struct/union/enum struct pirate: p",
            ),
            (
                "struct s { void v; };",
                "[D_DECL_VOIDOBJ] cannot have void member: v",
            ),
            (
                "struct s { int a : 40; };",
                "[D_DECL_BFSIZE] bit-field too big for type: a",
            ),
            ("extern int;", "[D_DECL_USELESS] useless declaration"),
            (
                "struct s { int k[int]; };",
                "[D_UNKNOWN] key types may only be declared for associative array variables: k",
            ),
            (
                "typedef int t[string];",
                "[D_UNKNOWN] key types may only be declared for associative array variables: t",
            ),
            (
                "inline int i = \"str\";",
                "[D_OP_INCOMPAT] inline i definition uses incompatible types: \"int\" = \"string\"",
            ),
            (
                "inline int f = f + 3;",
                "[D_IDENT_UNDEF] failed to resolve f: Unknown variable name",
            ),
            (
                "inline int f = 1; inline int f = 2;",
                "[D_DECL_IDRED] identifier redefined: f\n\t current: inline definition\n\tprevious: scalar inline",
            ),
            (
                "BEGIN { trace((char int)0); }",
                "[D_DECL_COMBO] invalid type combination",
            ),
            (
                "BEGIN { trace((short long)0); }",
                "[D_UNKNOWN] failed to resolve type short long : Unknown type name",
            ),
            (
                "int `x;",
                "[D_DECL_SCOPE] D scoping operator may not be used in a declaration name (`x)",
            ),
        ] {
            assert_eq!(errors_of(program), [expected], "{program}");
        }
    }
}
