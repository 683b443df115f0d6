//! BTF variables (`BTF_KIND_VAR`): the type a kernel symbol has, where BTF describes it.
//!
//! A kernel built with `CONFIG_DEBUG_INFO_BTF` describes its per-CPU variables (and, with newer
//! pahole, its other globals) this way. Variables are looked up rarely (once per symbol a script
//! names), so they are found by a scan rather than indexed when BTF is parsed.

use super::{BTF_KIND_VAR, Btf};

impl Btf {
    /// The type ID of the variable called `name`, or `None` when BTF has no such variable.
    pub fn variable_type(&self, name: &str) -> Option<u32> {
        (1..=u32::try_from(self.type_offsets.len()).ok()?).find_map(|type_id| {
            let record = self.record(type_id)?;
            (record.kind == BTF_KIND_VAR && self.string(record.name_off) == Some(name))
                .then_some(record.size_or_type)
        })
    }
}
