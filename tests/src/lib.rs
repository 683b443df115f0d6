//! End-to-end tests: the real `tracer` binary against real probes on this kernel.
//!
//! This is the last stage of the pipeline seen from outside: text in, text out, compared
//! with what DTrace prints.
//! The cases live in suite files (`tests/suites/*.test`, format in `tests/README.md`); each
//! suite is one `#[test]` in `tests/tests/e2e.rs`.
//! Tests that need more than a suite line can express, such as proving that nothing stays
//! loaded after exit, use [`TestCommand`] directly.
//!
//! The tests need root and tracefs and fail, never skip, without them.
//! They run the `tracer` binary of the same build profile, which must be built first:
//!
//! ```text
//! cargo build --workspace && cargo test --workspace
//! ```
//!
//! ```no_run
//! use tests::TestCommand;
//!
//! // Like dtrace, tracer ends its output with a newline of its own.
//! TestCommand::tracer()
//!     .args(["-q", "-n", r#"BEGIN { printf("hello\n"); exit(0); }"#])
//!     .run()
//!     .assert_exit(0)
//!     .assert_stdout("hello\n\n");
//! ```

#![deny(missing_docs)]

pub mod bpf_objects;
pub mod command;
pub mod environment;
pub mod suite;
pub mod targets;

pub use command::{Output, Status, TestCommand};
