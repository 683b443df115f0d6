//! Kernel functions in BTF: the `fbt` provider's probe list and its argument types.
//!
//! A `BTF_KIND_FUNC` record names a function and points at its `BTF_KIND_FUNC_PROTO`, whose
//! return type is the record's `type` and whose parameters (name and type, 8 bytes each) follow
//! it. A variadic function ends with a nameless parameter of type 0, which is not an argument.

use d_frontend::provider::FunctionPrototype;

use super::{BTF_KIND_FUNC_PROTO, Btf, read_u32};

impl Btf {
    /// The names of every function, sorted, each once (BTF may describe two static functions with
    /// one name).
    pub fn function_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.functions.keys().cloned().collect();
        names.sort_unstable();
        names
    }

    /// The type ID of the first function called `name`: what an fentry program's
    /// `attach_btf_id` names.
    pub fn function_id(&self, name: &str) -> Option<u32> {
        self.functions.get(name).copied()
    }

    /// The prototype of the first function called `name`.
    pub fn function(&self, name: &str) -> Option<FunctionPrototype> {
        let func = self.record(self.function_id(name)?)?;
        let proto = self.record(func.size_or_type)?;
        if proto.kind != BTF_KIND_FUNC_PROTO {
            return None;
        }
        let mut params = Vec::with_capacity(proto.vlen);
        for param_idx in 0..proto.vlen {
            let at = proto.extra + 8 * param_idx;
            let name_off = read_u32(&self.data, at, "parameter").ok()?;
            let ty = read_u32(&self.data, at + 4, "parameter").ok()?;
            if ty == 0 {
                break;
            }
            params.push((self.string(name_off).unwrap_or_default().to_owned(), ty));
        }
        Some(FunctionPrototype {
            params,
            ret: proto.size_or_type,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::BtfBuilder;
    use super::*;

    fn functions_btf() -> Vec<u8> {
        let mut builder = BtfBuilder::new();
        let int = builder.int("int", 4);
        let ptr = builder.ptr(int);
        let read = builder.func_proto(int, &[("fd", int), ("buf", ptr)]);
        let variadic = builder.func_proto(0, &[("fmt", ptr), ("", 0)]);
        builder.func("vfs_read", read);
        builder.func("printk", variadic);
        builder.func("vfs_read", read);
        builder.build()
    }

    #[test]
    fn functions_are_listed_once_in_name_order() {
        let btf = Btf::parse(functions_btf()).expect("valid BTF");
        assert_eq!(btf.function_names(), ["printk", "vfs_read"]);
    }

    #[test]
    fn prototypes_give_parameters_and_the_return_type() {
        let btf = Btf::parse(functions_btf()).expect("valid BTF");
        let read = btf.function("vfs_read").expect("vfs_read is described");
        assert_eq!(read.ret, 1);
        assert_eq!(read.params, [("fd".to_owned(), 1), ("buf".to_owned(), 2)]);
        let printk = btf.function("printk").expect("printk is described");
        assert_eq!(
            (printk.ret, printk.params.len()),
            (0, 1),
            "... is no argument"
        );
        assert_eq!(btf.function("nosuch"), None);
        assert_eq!(btf.function_id("vfs_read"), Some(5));
    }
}
