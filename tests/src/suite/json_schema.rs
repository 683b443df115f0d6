//! `EXPECT_JSON_SCHEMA`: every line of a stream is a JSON value that a JSON Schema accepts, as
//! every line `tracer -O json` writes must be (the schema is `docs/json.schema.json`).

use std::path::Path;

use crate::command::lines;

/// Why some line of `bytes` is not a JSON value `schema_path`'s schema accepts, or `None` when
/// every line is; a stream without lines fails, since it shows nothing.
pub fn check_lines(stream: &str, bytes: &[u8], schema_path: &Path) -> Option<String> {
    let schema_name = schema_path.display();
    let text = match std::fs::read_to_string(schema_path) {
        Ok(text) => text,
        Err(error) => return Some(format!("cannot read JSON schema {schema_name}: {error}")),
    };
    let schema: serde_json::Value = match serde_json::from_str(&text) {
        Ok(schema) => schema,
        Err(error) => return Some(format!("JSON schema {schema_name} is not JSON: {error}")),
    };
    let validator = match jsonschema::validator_for(&schema) {
        Ok(validator) => validator,
        Err(error) => return Some(format!("{schema_name} is not a JSON schema: {error}")),
    };
    let all_lines = lines(bytes);
    if all_lines.is_empty() {
        return Some(format!(
            "expected {stream} lines that {schema_name} accepts, got no {stream}"
        ));
    }
    for (line_idx, line) in all_lines.iter().enumerate() {
        let number = line_idx + 1;
        let value: serde_json::Value = match serde_json::from_str(line) {
            Ok(value) => value,
            Err(error) => {
                return Some(format!(
                    "{stream} line {number} is not JSON ({error}): {line:?}"
                ));
            }
        };
        if let Some(error) = validator.iter_errors(&value).next() {
            return Some(format!(
                "{stream} line {number} breaks {schema_name}: {error} (at {}): {line:?}",
                error.instance_path()
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema_file(name: &str, text: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("tracer-{name}-{}.json", std::process::id()));
        std::fs::write(&path, text).expect("the temp dir is writable");
        path
    }

    #[test]
    fn every_line_must_match() {
        let path = schema_file(
            "schema",
            r#"{"type": "object", "required": ["type"], "properties": {"type": {"enum": ["a", "b"]}}}"#,
        );
        let shown = path.display();
        assert_eq!(
            check_lines("stdout", b"{\"type\":\"a\"}\n{\"type\":\"b\"}\n", &path),
            None
        );
        assert_eq!(
            check_lines("stdout", b"{\"type\":\"a\"}\n{\"type\":\"c\"}\n", &path),
            Some(format!(
                r#"stdout line 2 breaks {shown}: "c" is not one of "a" or "b" (at /type): "{{\"type\":\"c\"}}""#
            ))
        );
        let not_json = check_lines("stdout", b"{\"type\":\"a\"}\nCPU ID\n", &path).expect("fails");
        assert!(
            not_json.starts_with("stdout line 2 is not JSON ("),
            "{not_json}"
        );
        assert_eq!(
            check_lines("stderr", b"", &path),
            Some(format!(
                "expected stderr lines that {shown} accepts, got no stderr"
            ))
        );
        std::fs::remove_file(&path).expect("the schema was just written");
    }

    #[test]
    fn a_broken_schema_is_reported() {
        let missing =
            check_lines("stdout", b"{}\n", Path::new("/no/such/schema.json")).expect("fails");
        assert!(
            missing.starts_with("cannot read JSON schema /no/such/schema.json: "),
            "{missing}"
        );
        let path = schema_file("broken", r#"{"type": 12}"#);
        let broken = check_lines("stdout", b"{}\n", &path).expect("fails");
        assert!(broken.contains("is not a JSON schema"), "{broken}");
        std::fs::remove_file(&path).expect("the schema was just written");
    }

    #[test]
    fn the_repository_schema_is_a_schema() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/json.schema.json");
        let line = br#"{"type":"exit","version":1,"data":{"status":0,"reason":"exit"}}"#;
        assert_eq!(check_lines("stdout", line, &path), None);
    }
}
