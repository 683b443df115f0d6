//! Every example of `docs/json.md` runs as shown.
//!
//! An example is a `console` code block: each `$ ` line is a command run by `sh`, with `tracer`
//! this build's binary (first on `PATH`) and everything pinned to CPU 0 with `taskset`, so that
//! `BEGIN` and `END` run there and the `cpu` members the examples show are 0; the lines up to the
//! next command or the end of the block are its standard output, exactly. Like the suites, the
//! examples need root and tracefs, and `jq` and `taskset`.

use tests::TestCommand;
use tests::command::{shell_quote, tracer_path};
use tests::environment;

/// One `$ ` command of the document and the output shown after it.
#[derive(Debug, PartialEq, Eq)]
struct Example {
    /// The 1-based line of the command in the document.
    line: usize,
    /// The command, without `$ `.
    command: String,
    /// The output lines, each with its newline.
    output: String,
}

/// The examples of every `console` block of `markdown`, in order.
fn examples(markdown: &str) -> Vec<Example> {
    let mut examples: Vec<Example> = Vec::new();
    let mut in_console = false;
    for (line_idx, line) in markdown.lines().enumerate() {
        if line.starts_with("```") {
            in_console = !in_console && line == "```console";
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            examples.push(Example {
                line: line_idx + 1,
                command: command.to_owned(),
                output: String::new(),
            });
        } else if let Some(example) = examples.last_mut() {
            example.output.push_str(line);
            example.output.push('\n');
        }
    }
    examples
}

#[test]
fn the_parser_splits_blocks_into_commands_and_outputs() {
    let markdown = "intro\n```console\n$ echo a\na\n$ true\n```\n\n```sh\n$ not run\n```\n```console\n$ printf 'b\\nc\\n'\nb\nc\n```\n";
    assert_eq!(
        examples(markdown),
        [
            Example {
                line: 3,
                command: "echo a".to_owned(),
                output: "a\n".to_owned(),
            },
            Example {
                line: 5,
                command: "true".to_owned(),
                output: String::new(),
            },
            Example {
                line: 12,
                command: r"printf 'b\nc\n'".to_owned(),
                output: "b\nc\n".to_owned(),
            },
        ]
    );
}

#[test]
fn every_example_of_the_json_docs_runs_as_shown() {
    if let Err(missing) = environment::check() {
        panic!("this machine cannot run the docs/json.md examples: {missing}");
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/json.md");
    let markdown = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let examples = examples(&markdown);
    assert!(
        examples.len() >= 15,
        "docs/json.md should have its examples, found {}",
        examples.len()
    );
    let tracer = tracer_path();
    let bin_dir = tracer.parent().expect("the binary is in a directory");
    let mut failures = Vec::new();
    for example in &examples {
        let line = format!(
            "PATH={}:\"$PATH\" taskset -c 0 sh -c {}",
            shell_quote(&bin_dir.display().to_string()),
            shell_quote(&example.command)
        );
        let output = TestCommand::shell(&line).run();
        let stdout = String::from_utf8_lossy(&output.stdout);
        if stdout != example.output {
            failures.push(format!(
                "docs/json.md:{}: $ {}\nexpected:\n{}got ({}):\n{}stderr:\n{}",
                example.line,
                example.command,
                example.output,
                output.status,
                stdout,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} examples differ:\n\n{}",
        failures.len(),
        examples.len(),
        failures.join("\n")
    );
}
