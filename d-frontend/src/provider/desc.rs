//! Probe descriptions: the four-field `provider:module:function:name` form and glob matching.

use std::fmt;

/// The field the last part of a partial description names: `-P`, `-m`, `-f` and `-n` read the
/// same text differently (`-f read` is `::read:`, `-n read` is `:::read`), as dtrace's
/// `dtrace_xstr2desc` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ProbeField {
    /// `-P`: the text is a provider.
    Provider,
    /// `-m`: `[provider:]module`.
    Module,
    /// `-f`: `[[provider:]module:]function`.
    Function,
    /// `-n`, `-i` and scripts: `[[[provider:]module:]function:]name`.
    #[default]
    Name,
}

impl ProbeField {
    /// How many fields a description read this way may have.
    fn n_fields(self) -> usize {
        match self {
            ProbeField::Provider => 1,
            ProbeField::Module => 2,
            ProbeField::Function => 3,
            ProbeField::Name => 4,
        }
    }
}

/// A probe description split into its four fields; an empty field matches anything.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ProbeDesc {
    /// Provider pattern.
    pub provider: String,
    /// Module pattern.
    pub module: String,
    /// Function pattern.
    pub function: String,
    /// Name pattern.
    pub name: String,
}

impl ProbeDesc {
    /// Splits a description. Fewer than four fields fill from the right, as in DTrace: `BEGIN` is a
    /// name, `read:entry` a function and a name. Returns `None` for more than four fields.
    pub fn parse(text: &str) -> Option<ProbeDesc> {
        ProbeDesc::parse_as(text, ProbeField::Name)
    }

    /// Splits a description whose last part is the field `last`; the fields after it are empty.
    /// Returns `None` when the text has more fields than fit before `last` (dtrace's
    /// "Overspecified probe description").
    pub fn parse_as(text: &str, last: ProbeField) -> Option<ProbeDesc> {
        let fields: Vec<&str> = text.split(':').collect();
        if fields.len() > last.n_fields() {
            return None;
        }
        let mut padded = vec![""; last.n_fields() - fields.len()];
        padded.extend(fields);
        padded.resize(4, "");
        Some(ProbeDesc {
            provider: padded[0].to_string(),
            module: padded[1].to_string(),
            function: padded[2].to_string(),
            name: padded[3].to_string(),
        })
    }

    /// Whether a probe with these four names matches this description.
    pub fn matches(&self, provider: &str, module: &str, function: &str, name: &str) -> bool {
        field_matches(&self.provider, provider)
            && field_matches(&self.module, module)
            && field_matches(&self.function, function)
            && field_matches(&self.name, name)
    }
}

impl fmt::Display for ProbeDesc {
    /// `provider:module:function:name`, every field present.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}:{}",
            self.provider, self.module, self.function, self.name
        )
    }
}

/// Whether `pattern` (empty, or a glob with `*`, `?`, `[...]` and `\` escapes) matches `text`.
pub fn field_matches(pattern: &str, text: &str) -> bool {
    pattern.is_empty() || glob_matches(pattern.as_bytes(), text.as_bytes())
}

/// Whether a pattern has glob characters, so it names more than one thing.
pub fn is_glob(pattern: &str) -> bool {
    pattern.is_empty() || pattern.contains(['*', '?', '[', '\\'])
}

fn glob_matches(pattern: &[u8], text: &[u8]) -> bool {
    let Some((&first, rest)) = pattern.split_first() else {
        return text.is_empty();
    };
    match first {
        b'*' => (0..=text.len()).any(|skip| glob_matches(rest, &text[skip..])),
        b'?' => !text.is_empty() && glob_matches(rest, &text[1..]),
        b'[' => {
            let Some((&ch, text_rest)) = text.split_first() else {
                return false;
            };
            match match_class(rest, ch) {
                Some((true, after)) => glob_matches(after, text_rest),
                Some((false, _)) => false,
                None => ch == b'[' && glob_matches(rest, text_rest),
            }
        }
        b'\\' if !rest.is_empty() => {
            text.first() == Some(&rest[0]) && glob_matches(&rest[1..], &text[1..])
        }
        _ => text.first() == Some(&first) && glob_matches(rest, &text[1..]),
    }
}

/// Matches `ch` against a `[...]` class whose body starts at `class`; returns whether it matched
/// and the pattern after the `]`, or `None` when the class is unterminated.
fn match_class(class: &[u8], ch: u8) -> Option<(bool, &[u8])> {
    let (negated, mut body) = match class.first() {
        Some(b'!' | b'^') => (true, &class[1..]),
        _ => (false, class),
    };
    let mut matched = false;
    let mut first = true;
    loop {
        let (&low, rest) = body.split_first()?;
        if low == b']' && !first {
            return Some((matched != negated, rest));
        }
        first = false;
        if rest.len() >= 2 && rest[0] == b'-' && rest[1] != b']' {
            matched |= (low..=rest[1]).contains(&ch);
            body = &rest[2..];
        } else {
            matched |= low == ch;
            body = rest;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_fill_from_the_right() {
        let desc = ProbeDesc::parse("read:entry").unwrap();
        assert_eq!(
            (
                desc.provider.as_str(),
                desc.function.as_str(),
                desc.name.as_str()
            ),
            ("", "read", "entry")
        );
        assert_eq!(ProbeDesc::parse("BEGIN").unwrap().name, "BEGIN");
        assert_eq!(
            ProbeDesc::parse("syscall:::entry").unwrap().provider,
            "syscall"
        );
        assert_eq!(ProbeDesc::parse("a:b:c:d:e"), None);
    }

    #[test]
    fn partial_descriptions_fill_the_field_their_flag_names() {
        let text = |desc: Option<ProbeDesc>| desc.map(|desc| desc.to_string());
        assert_eq!(
            text(ProbeDesc::parse_as("syscall", ProbeField::Provider)),
            Some("syscall:::".to_owned())
        );
        assert_eq!(
            text(ProbeDesc::parse_as("vmlinux", ProbeField::Module)),
            Some(":vmlinux::".to_owned())
        );
        assert_eq!(
            text(ProbeDesc::parse_as("syscall::read", ProbeField::Function)),
            Some("syscall::read:".to_owned())
        );
        assert_eq!(
            text(ProbeDesc::parse_as(":read", ProbeField::Function)),
            Some("::read:".to_owned())
        );
        assert_eq!(
            ProbeDesc::parse_as("profile:::tick-1", ProbeField::Function),
            None
        );
        assert_eq!(ProbeDesc::parse_as("a:b", ProbeField::Provider), None);
    }

    #[test]
    fn globs_match_like_dtrace() {
        assert!(field_matches("", "anything"));
        assert!(field_matches("read*", "readv"));
        assert!(field_matches("?ead", "read"));
        assert!(!field_matches("read", "readv"));
        assert!(field_matches("[rw]*", "write"));
        assert!(!field_matches("[!rw]*", "write"));
        assert!(field_matches("sys_[a-c]*", "sys_brk"));
        assert!(field_matches("a\\*", "a*"));
        assert!(!field_matches("[abc", "a"));
    }

    #[test]
    fn matches_all_four_fields() {
        let desc = ProbeDesc::parse("syscall::open*:entry").unwrap();
        assert!(desc.matches("syscall", "vmlinux", "openat", "entry"));
        assert!(!desc.matches("syscall", "vmlinux", "openat", "return"));
    }
}
