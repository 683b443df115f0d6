//! The `#pragma D` directives that name something of the program: `option`, `attributes`,
//! `binding` and `depends_on` (the parser has already checked their form, see `parse::pragma`).
//!
//! As in libdtrace, `attributes` and `binding` change an identifier's stability or version: one
//! defined outside the program (a built-in variable) cannot be changed, and one the program never
//! defines leaves the pragma unused, an error once the whole program is read. tracer keeps no
//! stability attributes, so a pragma that applies changes nothing.

use super::{Checker, PragmaOption};
use crate::ast::{Pragma, VarScope};
use crate::builtin::variable;
use crate::diagnostic::ErrTag;
use crate::provider::{ProbeDesc, ProbeTable};
use crate::source::Span;

/// An `attributes` or `binding` pragma waiting for its identifier.
pub(super) struct Deferred {
    /// `attributes` or `binding`.
    directive: String,
    /// The identifier.
    name: String,
    span: Span,
}

impl Checker<'_> {
    pub(super) fn pragma(
        &mut self,
        pragma: &Pragma,
        options: &mut Vec<PragmaOption>,
        deferred: &mut Vec<Deferred>,
        probe_table: &mut ProbeTable,
    ) {
        match pragma.words.as_slice() {
            [keyword] if keyword == "option" => self.error(
                ErrTag::D_PRAGMA_MALFORM,
                pragma.span,
                "malformed #pragma option <option>=<val>",
            ),
            [keyword, _, _, ..] if keyword == "option" => self.error(
                ErrTag::D_PRAGMA_MALFORM,
                pragma.span,
                "superfluous arguments specified for #pragma option",
            ),
            [keyword, setting] if keyword == "option" => {
                let (name, value) = match setting.split_once('=') {
                    Some((name, value)) => (name, Some(value.to_owned())),
                    None => (setting.as_str(), None),
                };
                if name == "scratchsize"
                    && let Some(bytes) = value.as_deref().and_then(super::alloca::scratchsize)
                {
                    self.scratchsize = bytes;
                }
                options.push(PragmaOption {
                    name: name.to_owned(),
                    value,
                    span: pragma.span,
                });
            }
            [directive, _, name, ..] if directive == "attributes" || directive == "binding" => {
                if variable::lookup(name).is_some() {
                    let message = format!(
                        "#pragma {directive} cannot modify entity defined outside program scope"
                    );
                    self.error(ErrTag::D_PRAGMA_SCOPE, pragma.span, message);
                    return;
                }
                deferred.push(Deferred {
                    directive: directive.clone(),
                    name: name.clone(),
                    span: pragma.span,
                });
            }
            [directive, class, name, ..] if directive == "depends_on" && class == "provider" => {
                let known = name == "profile"
                    || ProbeDesc::parse(&format!("{name}:::"))
                        .is_some_and(|desc| !probe_table.matching(&desc).is_empty());
                if !known {
                    let message = format!("program requires provider {name}");
                    self.error(ErrTag::D_PRAGMA_DEPEND, pragma.span, message);
                }
            }
            _ => {}
        }
    }

    /// Reports the `attributes` and `binding` pragmas whose identifier the program never defined.
    pub(super) fn unused_pragmas(&mut self, deferred: Vec<Deferred>) {
        for pragma in deferred {
            let defined = self
                .variables
                .iter()
                .any(|var| var.scope == VarScope::Global && var.name == pragma.name)
                || self.scope.inlines.contains_key(&pragma.name);
            if !defined {
                let message = format!("unused #pragma {}", pragma.directive);
                self.error(ErrTag::D_PRAGMA_UNUSED, pragma.span, message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::{compile_one, errors_of};

    #[test]
    fn attributes_need_an_identifier_of_the_program() {
        for text in [
            "int x;\n#pragma D attributes Stable/Stable/Common x\nBEGIN { x = 1; }",
            "#pragma D binding \"1.0\" y\nBEGIN { y = 1; }",
            "inline int z = 3;\n#pragma D attributes Evolving z\nBEGIN { trace(z); }",
        ] {
            let compiled = compile_one(text);
            assert!(compiled.is_ok(), "{text}: {compiled:?}");
        }
        assert_eq!(
            errors_of("#pragma D attributes Stable/Stable/Common nothing\nBEGIN { }"),
            ["[D_PRAGMA_UNUSED] unused #pragma attributes"]
        );
        assert_eq!(
            errors_of("#pragma D binding \"1.0\" pid\nBEGIN { }"),
            ["[D_PRAGMA_SCOPE] #pragma binding cannot modify entity defined outside program scope"]
        );
    }

    #[test]
    fn depends_on_a_provider_needs_it() {
        assert!(compile_one("#pragma D depends_on provider syscall\nBEGIN { }").is_ok());
        assert!(compile_one("#pragma D depends_on module vmlinux\nBEGIN { }").is_ok());
        assert_eq!(
            errors_of("#pragma D depends_on provider nosuch\nBEGIN { }"),
            ["[D_PRAGMA_DEPEND] program requires provider nosuch"]
        );
    }
}
