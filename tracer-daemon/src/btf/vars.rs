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

#[cfg(test)]
mod tests {
    use d_frontend::provider::KernelType;

    use super::Btf;
    use crate::btf::tests::BtfBuilder;

    #[test]
    fn variables_give_their_types() {
        let mut builder = BtfBuilder::new();
        let ulong = builder.int("unsigned long", 8);
        let double = builder.float("double", 8);
        builder.var("max_pfn", ulong);
        builder.var("load_ratio", double);
        let btf = Btf::parse(builder.build()).expect("the BTF parses");
        assert_eq!(btf.variable_type("max_pfn"), Some(ulong));
        assert_eq!(btf.variable_type("load_ratio"), Some(double));
        assert_eq!(btf.variable_type("unsigned long"), None);
        assert_eq!(btf.variable_type("absent"), None);
        assert_eq!(btf.kernel_type(double), Some(KernelType::Float { size: 8 }));
    }
}
