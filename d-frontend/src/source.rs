//! Source text and spans.
//!
//! A [`Span`] is a byte range into one file of the [`SourceMap`]; line and column are computed only
//! when a diagnostic is rendered, so every stage can carry spans for free.
//!
//! Line numbers honour line markers (`# 12 "file"`, `#line 12`), which `cpp` writes into its
//! output, so an error in a preprocessed script names the line of the file the user wrote, as
//! libdtrace's `#line` pragma makes it do. A marker naming `/dev/stdin`, the name the
//! preprocessor is given for the script itself, leads back to the script.

/// Identifies one source text (a `-n` description, a `-s` script) in the [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span covering `start..end` in `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both `self` and `other` (which must be in the same file).
    #[must_use]
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// One source text with the name diagnostics use for it.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The name shown in diagnostics: a script path, or the probe description for `-n`.
    pub name: String,
    /// The whole text.
    pub text: String,
}

/// All the source texts of one compilation.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Adds a text and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile {
            name: name.into(),
            text: text.into(),
        });
        FileId(self.files.len() as u32 - 1)
    }

    /// The file behind `id`.
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        &self.file(span.file).text[span.start as usize..span.end as usize]
    }

    /// The 1-based line and column (in characters) where `span` starts; the line is the one line
    /// markers give it.
    pub fn line_col(&self, span: Span) -> (usize, usize) {
        let text = &self.file(span.file).text;
        let start = (span.start as usize).min(text.len());
        let before = &text[..start];
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        let column = before[line_start..].chars().count() + 1;
        (presumed_line(&before[..line_start]).1, column)
    }

    /// The file a line marker says `span` comes from, when that is not the source itself (a file
    /// that a preprocessed script includes).
    pub fn included_file(&self, span: Span) -> Option<&str> {
        let text = &self.file(span.file).text;
        let start = (span.start as usize).min(text.len());
        let line_start = text[..start].rfind('\n').map_or(0, |newline| newline + 1);
        presumed_line(&text[..line_start]).0
    }

    /// The whole source line (without its newline) on which `span` starts.
    pub fn line_text(&self, span: Span) -> &str {
        let text = &self.file(span.file).text;
        let start = (span.start as usize).min(text.len());
        let line_start = text[..start].rfind('\n').map_or(0, |newline| newline + 1);
        let line_end = text[start..]
            .find('\n')
            .map_or(text.len(), |newline| start + newline);
        &text[line_start..line_end]
    }
}

/// The file (`None` for the source itself) and the line number of the line that follows `lines`,
/// following the line markers among them.
fn presumed_line(lines: &str) -> (Option<&str>, usize) {
    let mut file = None;
    let mut line = 1;
    for text in lines.lines() {
        match line_marker(text) {
            Some((number, name)) => {
                line = number;
                if let Some(name) = name {
                    file = (name != "/dev/stdin").then_some(name);
                }
            }
            None => line += 1,
        }
    }
    (file, line)
}

/// A line marker, `# N ["file" [flags]]` or `#line N ["file"]`: the number of the next line and
/// the file name, if any.
fn line_marker(text: &str) -> Option<(usize, Option<&str>)> {
    let directive = text
        .trim_start_matches([' ', '\t', '\x0b', '\x0c'])
        .strip_prefix('#')?
        .trim_start();
    let directive = match directive.strip_prefix("line") {
        Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start(),
        _ => directive,
    };
    let n_digits = directive.bytes().take_while(u8::is_ascii_digit).count();
    let number = directive[..n_digits].parse().ok()?;
    let rest = directive[n_digits..].trim_start();
    let name = rest
        .strip_prefix('"')
        .and_then(|quoted| quoted.split_once('"'))
        .map(|(name, _)| name);
    Some((number, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let mut sources = SourceMap::default();
        let file = sources.add("t.d", "BEGIN\n{\n  x = 1;\n}\n");
        let span = Span::new(file, 10, 11);
        assert_eq!(sources.line_col(span), (3, 3));
        assert_eq!(sources.line_text(span), "  x = 1;");
        assert_eq!(sources.slice(span), "x");
    }

    #[test]
    fn line_markers_renumber_lines() {
        let mut sources = SourceMap::default();
        let text = "# 1 \"/dev/stdin\"\n\n# 1 \"inc.h\" 1\nint x;\n# 3 \"/dev/stdin\" 2\nBEGIN\n#line 40\n{ y }\n";
        let file = sources.add("t.d", text);
        let at = |needle: &str| {
            let start = text.find(needle).expect("needle");
            Span::new(file, start, start + needle.len())
        };
        assert_eq!(sources.line_col(at("int")), (1, 1));
        assert_eq!(sources.included_file(at("int")), Some("inc.h"));
        assert_eq!(sources.line_col(at("BEGIN")), (3, 1));
        assert_eq!(sources.included_file(at("BEGIN")), None);
        assert_eq!(sources.line_col(at("y")), (40, 3));
        assert_eq!(line_marker("#pragma D option quiet"), None);
        assert_eq!(line_marker("  #  7"), Some((7, None)));
    }
}
