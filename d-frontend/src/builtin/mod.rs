//! Built-in variables and functions, as tables grouped by family.
//!
//! Sema looks names up here to type them; lowering looks them up again to emit code. Adding a
//! built-in touches one table.

pub mod constant;
pub mod function;
pub mod subr;
pub mod variable;
