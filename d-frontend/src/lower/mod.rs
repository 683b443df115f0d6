//! Lowering: each checked clause becomes a flat list of IR instructions.
//!
//! A clause's scratch area starts with its record (header, then each recorded value in action
//! order); aggregation keys and other temporaries follow. The record is sent once, at the end of the
//! clause, so a predicate that fails sends nothing.
//!
//! Actions may sit inside `if` and `else`. Every action still has a fixed place in the record; the
//! record header holds a mask of the clause's basic blocks (see `sema::blocks`) that ran to their
//! end, and the consumer prints only the actions of those blocks, each block on its own probe line
//! as DTrace prints its sub-clauses. A record whose mask is empty is not sent.

mod action;
mod expr;
mod key_string;
mod lock;
mod memory;
mod print;
mod reuse;
mod spec;
mod stack;
mod subr;
mod translate;
mod var;
mod var_place;

use crate::ast::{self, Stmt};
use crate::ir::{
    self, Inst, Label, RECORD_BLOCKS_OFFSET, RECORD_HEADER_RESERVED, RECORD_SPEC_OFFSET, VReg,
};
use crate::sema::{Checked, blocks};
use crate::source::Span;
use crate::types::Type;

/// Lowers a checked program.
pub fn lower(checked: &Checked) -> ir::Module {
    let clauses = checked
        .clauses
        .iter()
        .zip(&checked.clause_probes)
        .enumerate()
        .map(|(clause_idx, (clause, probe_ids))| {
            lower_clause(checked, clause, clause_idx as u32, probe_ids.clone())
        })
        .collect();
    ir::Module {
        probes: checked.probes.clone(),
        clauses,
        aggregations: checked.aggregations.clone(),
        variables: checked.variables.clone(),
        sources: checked.sources.clone(),
        strsize: checked.options.strsize,
        destructive: checked.destructive,
        alloca_size: if checked.type_info.uses_alloca {
            checked.options.scratchsize
        } else {
            0
        },
    }
}

fn lower_clause(
    checked: &Checked,
    clause: &ast::Clause,
    clause_idx: u32,
    probe_ids: Vec<u32>,
) -> ir::Clause {
    let record_size = RECORD_HEADER_RESERVED + record_data_size(checked, &clause.body);
    let writes_record = clause_writes_record(&clause.body);
    let mut lowerer = Lowerer {
        checked,
        clause_idx,
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
        scratch_high: 0,
        actions: Vec::new(),
        has_exit: false,
        block_start: None,
        action_blocks: Vec::new(),
        n_record_blocks: 0,
        speculation_end: None,
        bindings: Vec::new(),
        loads: reuse::LoadCache::default(),
    };
    let end = lowerer.label();
    if checked.type_info.uses_alloca {
        lowerer.push(clause.span, Inst::Subr(ir::Subr::AllocaReset));
    }
    if writes_record {
        // The mask of blocks that ran starts empty before the predicate, so that a fault anywhere
        // in the clause finds it set.
        lowerer.push(
            clause.span,
            Inst::Zero {
                offset: RECORD_BLOCKS_OFFSET,
                size: 4,
            },
        );
    }
    if spec::speculates(&clause.body) {
        // The record is not speculative until `speculate()` runs.
        lowerer.speculation_end = Some(end);
        lowerer.push(
            clause.span,
            Inst::Zero {
                offset: RECORD_SPEC_OFFSET,
                size: 2,
            },
        );
    }
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
        if lowerer.actions.is_empty() {
            // The default action: the probe line alone, whenever the clause runs.
            lowerer.push(
                clause.span,
                Inst::SetBit {
                    offset: RECORD_BLOCKS_OFFSET,
                    bit: 0,
                },
            );
        }
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
        action_blocks: lowerer.action_blocks,
        scratch_size: lowerer.scratch_top.max(lowerer.scratch_high),
        span: clause.span,
    }
}

/// Whether a clause sends a record: when it has a data-recording action (in any block), or no
/// statement at all (the default action, which prints the probe that fired).
fn clause_writes_record(body: &[Stmt]) -> bool {
    body.iter().all(|stmt| matches!(stmt, Stmt::Empty(_))) || has_record_action(body)
}

fn has_record_action(body: &[Stmt]) -> bool {
    body.iter().any(|stmt| match stmt {
        Stmt::If {
            then_body,
            else_body,
            ..
        } => has_record_action(then_body) || has_record_action(else_body),
        _ => blocks::is_record_action(stmt),
    })
}

/// Bytes of record data the clause's actions take, in every block.
fn record_data_size(checked: &Checked, body: &[Stmt]) -> u32 {
    let types = &checked.types;
    let strsize = checked.options.strsize;
    let stored = |expr: &ast::Expr| types.get(expr.span).stored_size(strsize);
    let mut size = 0;
    for stmt in body {
        if let Stmt::If {
            then_body,
            else_body,
            ..
        } = stmt
        {
            size += record_data_size(checked, then_body) + record_data_size(checked, else_body);
            continue;
        }
        let Stmt::Expr(
            call @ ast::Expr {
                kind: ast::ExprKind::Call { func, args, .. },
                ..
            },
        ) = stmt
        else {
            continue;
        };
        if stack::is_stack_action(func) {
            size += stored(call);
            continue;
        }
        size += match func.as_str() {
            "trace" => match var_place::traced_bytes(checked, &args[0]) {
                Some(size) => align8(size),
                None => stored(&args[0]),
            },
            "exit" => stored(&args[0]),
            "print" => checked
                .type_info
                .prints
                .get(&args[0].span)
                .map_or(0, |ty| 8 + align8(ty.size)),
            "tracemem" => tracemem_field_size(&args[1]) + args.get(2).map_or(0, stored),
            "printf" => match &args[0].kind {
                ast::ExprKind::Str(format) => stack::printf_types(types, format, &args[1..])
                    .iter()
                    .map(|ty| ty.stored_size(strsize))
                    .sum(),
                _ => unreachable!("sema checked the format is a string literal"),
            },
            "system" | "freopen" | "normalize" | "trunc" => args[1..].iter().map(stored).sum(),
            "setopt" => args.iter().map(stored).sum(),
            "commit" | "discard" => spec::FINISH_FIELD_SIZE,
            _ => 0,
        };
    }
    size
}

/// The bytes `tracemem()` records: its size argument, which sema checked is a small constant.
fn tracemem_size(size: &ast::Expr) -> u32 {
    match size.kind {
        ast::ExprKind::Int { value, .. } => u32::try_from(value).unwrap_or(u32::MAX),
        _ => unreachable!("sema checked tracemem's size is a constant"),
    }
}

/// The record bytes `tracemem()` reserves for its data: the size, rounded up so that the fields
/// after it stay 8-byte aligned.
fn tracemem_field_size(size: &ast::Expr) -> u32 {
    align8(tracemem_size(size))
}

fn align8(value: u32) -> u32 {
    value.next_multiple_of(8)
}

/// The state of lowering one clause.
struct Lowerer<'a> {
    checked: &'a Checked,
    /// The clause's index in the program (for `epid`).
    clause_idx: u32,
    insts: Vec<Inst>,
    spans: Vec<Span>,
    n_vregs: u32,
    n_labels: u32,
    record_cursor: u32,
    scratch_top: u32,
    /// The most scratch any point of the clause has used, as temporaries may be released.
    scratch_high: u32,
    actions: Vec<ir::RecordAction>,
    has_exit: bool,
    /// Index in `actions` where the current basic block's actions start, inside a block.
    block_start: Option<usize>,
    action_blocks: Vec<u32>,
    n_record_blocks: u32,
    /// In a clause that calls `speculate()`, the end of the clause, where a speculation that is
    /// not active or a record too large for `specsize` jumps.
    speculation_end: Option<Label>,
    /// The translator members and inline arrays being expanded, innermost last.
    bindings: Vec<translate::Binding>,
    /// The dynamic variable loads and built-in reads whose registers still hold their values.
    loads: reuse::LoadCache,
}

impl Lowerer<'_> {
    fn push(&mut self, span: Span, inst: Inst) {
        self.loads.observe(&inst);
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
        self.scratch_high = self.scratch_high.max(self.scratch_top);
        offset
    }

    /// Releases every temporary reserved since `scratch_top` was `mark`, for temporaries that no
    /// later instruction reads (a subroutine's arguments once it has run).
    fn release_temps(&mut self, mark: u32) {
        self.scratch_top = mark;
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
                Stmt::Expr(expr) => {
                    self.block_start.get_or_insert(self.actions.len());
                    self.statement(expr);
                }
                Stmt::If {
                    cond,
                    then_body,
                    else_body,
                    span,
                } => {
                    self.end_block(*span);
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
        if let Some(last) = body.last() {
            let span = match last {
                Stmt::Expr(expr) => expr.span,
                Stmt::If { span, .. } | Stmt::Empty(span) => *span,
            };
            self.end_block(span);
        }
    }

    /// Ends the current basic block: when it recorded data, its actions get the next bit of the
    /// blocks mask, which is set here, once every statement of the block has run.
    fn end_block(&mut self, span: Span) {
        let Some(start) = self.block_start.take() else {
            return;
        };
        if self.actions.len() == start {
            return;
        }
        let bit = self.n_record_blocks;
        self.n_record_blocks += 1;
        self.action_blocks.resize(self.actions.len(), bit);
        self.push(
            span,
            Inst::SetBit {
                offset: RECORD_BLOCKS_OFFSET,
                bit: bit as u8,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::first_clause;
    use crate::ir::{Clause, Inst, RECORD_BLOCKS_OFFSET};

    fn block_bits(clause: &Clause) -> Vec<u8> {
        clause
            .insts
            .iter()
            .filter_map(|inst| match inst {
                Inst::SetBit { offset, bit } if *offset == RECORD_BLOCKS_OFFSET => Some(*bit),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn empty_clause_runs_the_default_action() {
        let clause = first_clause("BEGIN { }");
        assert_eq!(clause.record, Some(Vec::new()));
        assert_eq!(block_bits(&clause), [0]);
    }

    #[test]
    fn clause_without_actions_sends_no_record() {
        assert_eq!(first_clause("BEGIN { 1; }").record, None);
        assert_eq!(
            first_clause("BEGIN { if (1) { @a = count(); } }").record,
            None
        );
    }

    #[test]
    fn blocks_with_actions_set_their_bit_at_their_end() {
        let clause = first_clause(
            "BEGIN { trace(1); @a = count(); if (arg0) { printf(\"x\"); } trace(2); }",
        );
        assert_eq!(clause.action_blocks, [0, 1, 2]);
        assert_eq!(block_bits(&clause), [0, 1, 2]);
        let aggregate = clause
            .insts
            .iter()
            .position(|inst| matches!(inst, Inst::AggUpdate { .. }))
            .unwrap();
        let first_bit = clause
            .insts
            .iter()
            .position(|inst| matches!(inst, Inst::SetBit { .. }))
            .unwrap();
        assert!(
            first_bit > aggregate,
            "block 0 is done after its aggregation"
        );
    }

    #[test]
    fn blocks_mask_is_cleared_before_the_predicate() {
        let clause = first_clause("BEGIN /arg0 == 0/ { trace(1); }");
        assert_eq!(
            clause.insts[0],
            Inst::Zero {
                offset: RECORD_BLOCKS_OFFSET,
                size: 4
            }
        );
    }
}
