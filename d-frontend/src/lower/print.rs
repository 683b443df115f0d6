//! Lowering `print(pointer)`: the pointer goes into the record, then the bytes it points to, read
//! as `trace()` reads a struct (an `alloca` pointer is checked against its area and made an address
//! first); the action carries the type sema built for the consumer.

use super::Lowerer;
use crate::ast::Expr;
use crate::ir::{Field, Inst, RecordAction};

impl Lowerer<'_> {
    pub(super) fn print(&mut self, pointer: &Expr) -> RecordAction {
        let Some(ty) = self.checked.type_info.prints.get(&pointer.span).cloned() else {
            unreachable!("sema typed every print( ) argument");
        };
        let mut address = self.int_expr(pointer);
        if self.is_alloca(pointer) {
            let size = self.constant(pointer.span, u64::from(ty.size));
            address = self.alloca_address(address, size, pointer.span);
        }
        let address_offset = self.record_field(8);
        self.push(
            pointer.span,
            Inst::Store {
                offset: address_offset,
                size: 8,
                src: address,
            },
        );
        let offset = self.record_field(ty.size.next_multiple_of(8));
        self.push(
            pointer.span,
            Inst::ReadKernel {
                offset,
                size: ty.size,
                address,
            },
        );
        RecordAction::Print {
            address: Field {
                offset: address_offset,
                ty: self.type_of(pointer),
            },
            offset,
            size: ty.size,
            ty: Box::new(ty),
        }
    }
}
