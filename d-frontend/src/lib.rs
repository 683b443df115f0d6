//! The D language front end: source text to tokens, AST, checked program and lowered IR.
//!
//! This crate is pure: it performs no I/O. Everything it needs from the running machine (probe lists,
//! syscall numbers, kernel types) comes in through the [`provider::ProbeCatalog`] trait, so every test
//! runs without root.
//!
//! ```text
//! source --lex--> tokens --parse--> ast::Program --sema--> sema::Checked --lower--> ir::Module
//! ```

pub mod ast;
pub mod ast_dump;
pub mod builtin;
pub mod compile;
pub mod diagnostic;
pub mod ir;
pub mod lex;
pub mod library;
pub mod lower;
pub mod parse;
pub mod printf;
pub mod provider;
mod relocation;
pub mod sema;
pub mod source;
pub mod types;
