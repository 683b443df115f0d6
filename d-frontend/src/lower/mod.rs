//! Lowering: each checked clause becomes a flat list of IR instructions.
//!
//! A clause's scratch area starts with its record (header, then each recorded value in action
//! order); aggregation keys and other temporaries follow. The record is sent once, at the end of the
//! clause, so a predicate that fails sends nothing.

mod action;
mod expr;
mod memory;
mod var;

use crate::ast::{self, Stmt};
use crate::ir::{self, Inst, Label, RECORD_HEADER_RESERVED, VReg};
use crate::sema::{Checked, TypeMap};
use crate::source::Span;
use crate::types::Type;

/// Lowers a checked program.
pub fn lower(checked: &Checked) -> ir::Module {
    let clauses = checked
        .clauses
        .iter()
        .zip(&checked.clause_probes)
        .map(|(clause, probe_ids)| lower_clause(checked, clause, probe_ids.clone()))
        .collect();
    ir::Module {
        probes: checked.probes.clone(),
        clauses,
        aggregations: checked.aggregations.clone(),
        variables: checked.variables.clone(),
        sources: checked.sources.clone(),
        strsize: checked.options.strsize,
    }
}

fn lower_clause(checked: &Checked, clause: &ast::Clause, probe_ids: Vec<u32>) -> ir::Clause {
    let record_size = RECORD_HEADER_RESERVED
        + record_data_size(&checked.types, checked.options.strsize, &clause.body);
    let writes_record = clause_writes_record(&clause.body);
    let mut lowerer = Lowerer {
        checked,
        insts: Vec::new(),
        spans: Vec::new(),
        n_vregs: 0,
        n_labels: 0,
        record_cursor: RECORD_HEADER_RESERVED,
        scratch_top: if writes_record {
            align8(record_size)
        } else {
            0
        },
        actions: Vec::new(),
        has_exit: false,
    };
    let end = lowerer.label();
    if let Some(predicate) = &clause.predicate {
        lowerer.comment(predicate.span, "predicate");
        let cond = lowerer.int_expr(predicate);
        lowerer.push(
            predicate.span,
            Inst::JumpIf {
                cond,
                nonzero: false,
                target: end,
            },
        );
    }
    lowerer.statements(&clause.body);
    if writes_record {
        lowerer.push(
            clause.span,
            Inst::EmitRecord {
                offset: 0,
                size: record_size,
                wakeup: lowerer.has_exit,
            },
        );
    }
    lowerer.push(clause.span, Inst::Label(end));
    ir::Clause {
        probe_ids,
        insts: lowerer.insts,
        spans: lowerer.spans,
        n_vregs: lowerer.n_vregs,
        n_labels: lowerer.n_labels,
        record: writes_record.then_some(lowerer.actions),
        scratch_size: lowerer.scratch_top,
        span: clause.span,
    }
}

/// Whether a clause sends a record: when it has a data-recording action, or no action at all (the
/// default action, which prints the probe that fired).
fn clause_writes_record(body: &[Stmt]) -> bool {
    let mut has_any_action = false;
    let mut has_data_action = false;
    for stmt in body {
        // Any statement, even one that only assigns variables, takes the default action's place.
        if !matches!(stmt, Stmt::Empty(_)) {
            has_any_action = true;
        }
        let Stmt::Expr(expr) = stmt else {
            continue;
        };
        match &expr.kind {
            ast::ExprKind::Call { func, .. }
                if matches!(func.as_str(), "trace" | "printf" | "printa" | "exit") =>
            {
                has_any_action = true;
                has_data_action = true;
            }
            ast::ExprKind::Assign { target, .. }
                if matches!(target.kind, ast::ExprKind::Agg { .. }) =>
            {
                has_any_action = true;
            }
            _ => {}
        }
    }
    has_data_action || !has_any_action
}

/// Bytes of record data the clause's actions take.
fn record_data_size(types: &TypeMap, strsize: u32, body: &[Stmt]) -> u32 {
    let stored = |expr: &ast::Expr| types.get(expr.span).stored_size(strsize);
    let mut size = 0;
    for stmt in body {
        let Stmt::Expr(ast::Expr {
            kind: ast::ExprKind::Call { func, args, .. },
            ..
        }) = stmt
        else {
            continue;
        };
        size += match func.as_str() {
            "trace" | "exit" => stored(&args[0]),
            "printf" => args[1..].iter().map(stored).sum(),
            _ => 0,
        };
    }
    size
}

fn align8(value: u32) -> u32 {
    value.next_multiple_of(8)
}

/// The state of lowering one clause.
struct Lowerer<'a> {
    checked: &'a Checked,
    insts: Vec<Inst>,
    spans: Vec<Span>,
    n_vregs: u32,
    n_labels: u32,
    record_cursor: u32,
    scratch_top: u32,
    actions: Vec<ir::RecordAction>,
    has_exit: bool,
}

impl Lowerer<'_> {
    fn push(&mut self, span: Span, inst: Inst) {
        self.insts.push(inst);
        self.spans.push(span);
    }

    fn comment(&mut self, span: Span, text: &str) {
        self.push(span, Inst::Comment(text.to_string()));
    }

    fn vreg(&mut self) -> VReg {
        self.n_vregs += 1;
        VReg(self.n_vregs - 1)
    }

    fn label(&mut self) -> Label {
        self.n_labels += 1;
        Label(self.n_labels - 1)
    }

    /// Reserves `size` bytes of scratch for a temporary.
    fn temp(&mut self, size: u32) -> u32 {
        let offset = self.scratch_top;
        self.scratch_top = align8(self.scratch_top + size);
        offset
    }

    /// Reserves the next `size` bytes of the record.
    fn record_field(&mut self, size: u32) -> u32 {
        let offset = self.record_cursor;
        self.record_cursor += size;
        offset
    }

    fn strsize(&self) -> u32 {
        self.checked.options.strsize
    }

    fn type_of(&self, expr: &ast::Expr) -> Type {
        self.checked.types.get(expr.span)
    }

    /// `if (cond) then else otherwise`, each arm lowered by its closure.
    fn if_else(
        &mut self,
        cond: &ast::Expr,
        span: Span,
        then_arm: impl FnOnce(&mut Self),
        else_arm: impl FnOnce(&mut Self),
    ) {
        let else_label = self.label();
        let end_label = self.label();
        let cond_value = self.int_expr(cond);
        self.push(
            cond.span,
            Inst::JumpIf {
                cond: cond_value,
                nonzero: false,
                target: else_label,
            },
        );
        then_arm(self);
        self.push(span, Inst::Jump(end_label));
        self.push(span, Inst::Label(else_label));
        else_arm(self);
        self.push(span, Inst::Label(end_label));
    }

    fn statements(&mut self, body: &[Stmt]) {
        for stmt in body {
            match stmt {
                Stmt::Expr(expr) => self.statement(expr),
                Stmt::If {
                    cond,
                    then_body,
                    else_body,
                    span,
                } => {
                    self.comment(*span, "if");
                    self.if_else(
                        cond,
                        *span,
                        |lowerer| lowerer.statements(then_body),
                        |lowerer| {
                            lowerer.statements(else_body);
                        },
                    );
                }
                Stmt::Empty(_) => {}
            }
        }
    }
}
