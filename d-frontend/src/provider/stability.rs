//! Stability attributes: how far a provider's names and arguments can be relied on, which `-lv`
//! reports, as each of libdtrace's providers declares them (`dtrace_pattr_t`).
//!
//! A provider declares attributes for each part of its probe descriptions (provider, module,
//! function, name) and for its arguments. A probe description's attributes are the least stable
//! of its four parts, as `dtrace_probe_info` computes them.

use std::fmt;

/// A stability level, least stable first (`dtrace_stability_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stability {
    /// Internal to the implementation.
    Internal,
    /// Private to the provider's implementers.
    Private,
    /// Obsolete.
    Obsolete,
    /// Controlled by someone else.
    External,
    /// Unstable.
    Unstable,
    /// Evolving.
    Evolving,
    /// Stable.
    Stable,
    /// An industry standard.
    Standard,
}

/// A dependency class, narrowest first (`dtrace_class_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DependencyClass {
    /// Unknown.
    Unknown,
    /// Specific to a CPU model.
    Cpu,
    /// Specific to a platform.
    Platform,
    /// Specific to a group of platforms.
    Group,
    /// Specific to an instruction set architecture.
    Isa,
    /// Common to every platform.
    Common,
}

impl fmt::Display for Stability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl fmt::Display for DependencyClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DependencyClass::Unknown => "Unknown",
            DependencyClass::Cpu => "CPU",
            DependencyClass::Platform => "Platform",
            DependencyClass::Group => "Group",
            DependencyClass::Isa => "ISA",
            DependencyClass::Common => "Common",
        })
    }
}

/// One set of attributes (`dtrace_attribute_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attributes {
    /// How stable the names are.
    pub names: Stability,
    /// How stable the data's meaning is.
    pub data: Stability,
    /// What the data depends on.
    pub class: DependencyClass,
}

impl Attributes {
    const fn new(names: Stability, data: Stability, class: DependencyClass) -> Attributes {
        Attributes { names, data, class }
    }

    /// The least stable of two sets, part by part.
    fn min(self, other: Attributes) -> Attributes {
        Attributes {
            names: self.names.min(other.names),
            data: self.data.min(other.data),
            class: self.class.min(other.class),
        }
    }
}

/// What `-lv` shows for a probe of `provider`: its description's attributes and its arguments'.
pub fn probe_attributes(provider: &str) -> (Attributes, Attributes) {
    let parts = provider_attributes(provider);
    let description = parts[..4]
        .iter()
        .copied()
        .reduce(Attributes::min)
        .unwrap_or(parts[0]);
    (description, parts[4])
}

/// A provider's attributes for its provider, module, function and name parts, then its
/// arguments, as libdtrace's provider of the same kind declares them.
fn provider_attributes(provider: &str) -> [Attributes; 5] {
    use DependencyClass::{Common, Isa, Unknown};
    use Stability::{Evolving, Private, Stable, Unstable};
    let attr = Attributes::new;
    match provider {
        "dtrace" => [
            attr(Stable, Stable, Common),
            attr(Private, Private, Unknown),
            attr(Private, Private, Unknown),
            attr(Stable, Stable, Common),
            attr(Stable, Stable, Common),
        ],
        "syscall" => [
            attr(Evolving, Evolving, Common),
            attr(Private, Private, Unknown),
            attr(Private, Private, Isa),
            attr(Evolving, Evolving, Common),
            attr(Private, Private, Isa),
        ],
        "profile" => [
            attr(Evolving, Evolving, Common),
            attr(Unstable, Unstable, Unknown),
            attr(Private, Private, Unknown),
            attr(Evolving, Evolving, Common),
            attr(Evolving, Evolving, Common),
        ],
        "fbt" => [
            attr(Evolving, Evolving, Common),
            attr(Private, Private, Unknown),
            attr(Private, Private, Isa),
            attr(Evolving, Evolving, Common),
            attr(Private, Private, Isa),
        ],
        "proc" | "sched" | "io" => [
            attr(Evolving, Evolving, Isa),
            attr(Private, Private, Unknown),
            attr(Private, Private, Unknown),
            attr(Evolving, Evolving, Isa),
            attr(Evolving, Evolving, Isa),
        ],
        "tracepoint" => [
            attr(Evolving, Evolving, Isa),
            attr(Private, Private, Unknown),
            attr(Private, Private, Unknown),
            attr(Private, Private, Isa),
            attr(Private, Private, Isa),
        ],
        // The `pid` and USDT providers (`pidNNN`, `appNNN`), as libdtrace's uprobe providers.
        _ => [
            attr(Evolving, Evolving, Isa),
            attr(Private, Private, Unknown),
            attr(Private, Private, Unknown),
            attr(Evolving, Evolving, Isa),
            attr(Private, Private, Unknown),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_description_is_as_stable_as_its_least_stable_part() {
        let (description, args) = probe_attributes("sched");
        assert_eq!(
            description,
            Attributes::new(
                Stability::Private,
                Stability::Private,
                DependencyClass::Unknown
            )
        );
        assert_eq!(
            args,
            Attributes::new(
                Stability::Evolving,
                Stability::Evolving,
                DependencyClass::Isa
            )
        );
        let (description, args) = probe_attributes("dtrace");
        assert_eq!(description.names, Stability::Private);
        assert_eq!(args.class, DependencyClass::Common);
    }

    #[test]
    fn names_are_dtrace_s() {
        assert_eq!(Stability::Evolving.to_string(), "Evolving");
        assert_eq!(DependencyClass::Isa.to_string(), "ISA");
        assert_eq!(DependencyClass::Cpu.to_string(), "CPU");
    }
}
