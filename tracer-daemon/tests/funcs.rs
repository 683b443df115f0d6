//! The subroutines and built-in variables of `dtrace-utils`' `funcs/` and `variables/bvar/`,
//! compiled by the real pipeline and run in the kernel: each program's `BEGIN` clauses run once
//! with `BPF_PROG_TEST_RUN`, and their `trace()` records and fault records are decoded.
//!
//! These tests need root and a kernel with BPF; without them they fail saying so.

mod compiled;

use std::fmt::Write;
use std::time::Duration;

use d_frontend::sema::CompileOptions;
use tracer_daemon::catalog::KernelCatalog;
use tracer_daemon::events::decode_record;
use tracer_ebpf::codegen::CodegenOptions;
use tracer_ebpf::disasm::disassemble;
use tracer_ebpf::layout::{FAULT_RECORD_ID, Fault, FaultRecord, Value};

/// What one run of a program's `BEGIN` clauses gave.
#[derive(Debug, Default)]
struct Run {
    /// Every traced value, in order, as text.
    values: Vec<String>,
    /// The faults, as `(clause, fault code, address or size)`.
    faults: Vec<(u64, u64, u64)>,
}

/// Compiles `text` with `scratchsize` bytes for `alloca`, runs its `BEGIN` clauses once and
/// returns what they traced and how they faulted.
fn run_begin(text: &str, scratchsize: u32) -> Run {
    let codegen = CodegenOptions {
        bufsize: 1 << 20,
        ..CodegenOptions::default()
    };
    run_begin_with(text, scratchsize, &codegen).0
}

/// [`run_begin`] with `codegen`; also returns the disassembly of every program.
fn run_begin_with(text: &str, scratchsize: u32, codegen: &CodegenOptions) -> (Run, String) {
    let catalog =
        KernelCatalog::load().unwrap_or_else(|error| panic!("the probe catalog loads: {error}"));
    let options = CompileOptions {
        scratchsize,
        ..CompileOptions::default()
    };
    let (generated, mut session) = compiled::load(text, &catalog, &options, codegen);
    let listing: String = generated
        .listings
        .iter()
        .map(|program| disassemble(&program.insns, &|_| None))
        .collect();
    session.run_begin().expect("BEGIN runs");
    let mut run = Run::default();
    session
        .poll_events(Duration::ZERO, &mut |bytes| {
            let clause = u32::from_ne_bytes(bytes[..4].try_into().expect("a header"));
            if clause == FAULT_RECORD_ID {
                let fault = FaultRecord::decode(bytes).expect("the fault record decodes");
                run.faults.push((fault.clause, fault.fault, fault.addr));
                return;
            }
            let record = decode_record(&generated.program.records[clause as usize], bytes)
                .expect("the record decodes");
            run.values.extend(
                record
                    .actions
                    .into_iter()
                    .flatten()
                    .map(|value| match value {
                        Value::Str(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                        Value::Int { bits, .. } => (bits as i64).to_string(),
                        Value::Stack(_) | Value::Sym(_) | Value::Bytes(_) => {
                            unreachable!("these programs record no stacks, and only keys are bytes")
                        }
                    }),
            );
        })
        .expect("polling works");
    (run, listing)
}

/// Runs `BEGIN { body }` with the default `scratchsize` and returns what it traced; it must not
/// fault.
fn traced(body: &str) -> Vec<String> {
    let text = format!("BEGIN {{ {body} }}");
    let run = run_begin(&text, 256);
    assert_eq!(run.faults, [], "{text} faulted");
    run.values
}

/// Runs `text` with `scratchsize` and returns its one fault's code and value.
fn fault_of(text: &str, scratchsize: u32) -> (u64, u64) {
    let run = run_begin(text, scratchsize);
    match run.faults.as_slice() {
        [(_, code, value)] => (*code, *value),
        faults => panic!(
            "{text}: expected one fault, got {faults:?} and {:?}",
            run.values
        ),
    }
}

#[test]
fn byte_order_and_device_numbers() {
    assert_eq!(
        traced(
            "trace(htons(0x123456789abcdef0ll)); trace(ntohl(0x123456789abcdef0ll)); \
             trace(htonll(0x0102030405060708ll)); trace(getmajor(0xabcdef0123456789ll)); \
             trace(getminor(0xabcdef0123456789ll));"
        ),
        ["61662", "4041129114", "578437695752307201", "564", "354185"]
    );
}

#[test]
fn builtin_variables_of_the_firing() {
    let values = traced(
        "this->a = timestamp; this->b = timestamp; trace(this->a == this->b); \
         trace(vtimestamp > 0); trace(ipl); trace(epid >> 32 == id); trace(epid & 0xffffffff);",
    );
    assert_eq!(values, ["1", "1", "0", "1", "1"]);
}

#[test]
fn alloca_memory_is_stored_loaded_and_read_as_strings() {
    let values = traced(
        "x = (char *)alloca(8); x[0] = 'a'; x[1] = '/'; x[2] = 'b'; x[3] = 0; \
         trace(stringof(x)); trace(basename(x)); trace((uint64_t)x); \
         y = (int *)alloca(2 * sizeof(int)); y[1] = 0x12345; trace(y[1]); \
         trace((uint64_t)y - (uint64_t)x); trace(alloca(0) == alloca(0));",
    );
    assert_eq!(values, ["a/b", "b", "8", "74565", "8", "1"]);
}

/// User memory for `copyin`: `BEGIN` runs in this process, so its address is a user address.
static USER_BYTES: [u8; 8] = *b"tracer\0\0";

#[test]
fn bcopy_and_copyin_fill_alloca_memory() {
    let user = USER_BYTES.as_ptr() as u64;
    let values = traced(&format!(
        "s = (char *)alloca(10); bcopy(probename, s, 5); trace(stringof(s)); \
         d = (char *)alloca(4); bcopy(s + 1, d, 3); d[3] = 0; trace(stringof(d)); \
         c = (char *)copyin({user}, 7); trace(stringof(c)); \
         e = (char *)alloca(8); copyinto({user} + 2, 5, e); trace(stringof(e));"
    ));
    assert_eq!(values, ["BEGIN", "EGI", "tracer", "acer"]);
}

#[test]
fn each_clause_starts_a_new_alloca_area() {
    let run = run_begin(
        "BEGIN { s = (char *)alloca(1); *s = 'a'; } \
         BEGIN { t = (char *)alloca(1); trace(s == t); trace(*s); } \
         BEGIN { trace(*s); }",
        256,
    );
    assert_eq!(run.values, ["1", "97"], "the third clause stops at *s");
    assert_eq!(run.faults, [(2, Fault::BadAddr as u64, 8)]);
}

#[test]
fn alloca_accesses_outside_the_allocation_fault_as_dtrace_does() {
    let bad_addr = Fault::BadAddr as u64;
    let bad_size = Fault::BadSize as u64;
    assert_eq!(
        fault_of("BEGIN { s = (char *)alloca(15); trace(s[16]); }", 256),
        (bad_addr, 24)
    );
    assert_eq!(
        fault_of("BEGIN { s = (char *)alloca(15); s[-1] = 1; }", 256),
        (bad_addr, 7)
    );
    assert_eq!(
        fault_of("BEGIN { s = (char *)alloca(10); s = NULL; *s = 4; }", 256),
        (bad_addr, 0)
    );
    assert_eq!(
        fault_of(
            r#"BEGIN { s = (char *)alloca(16); bcopy("01", &s[15], 2); }"#,
            256
        ),
        (bad_size, 2)
    );
    assert_eq!(
        fault_of(r#"BEGIN { bcopy("bad news", alloca(1), -1); }"#, 256),
        (bad_size, u64::MAX)
    );
    assert_eq!(
        fault_of("BEGIN { sz = 65; alloca(sz); }", 64),
        (Fault::NoScratch as u64, 0)
    );
    assert_eq!(
        fault_of("BEGIN { copyin(0x1234, 8); }", 256),
        (bad_addr, 0x1234)
    );
}

#[test]
fn null_strings_fault_where_dtrace_reads_them() {
    let bad_addr = Fault::BadAddr as u64;
    assert_eq!(fault_of("BEGIN { strlen(0); }", 256), (bad_addr, 0));
    assert_eq!(
        fault_of(r#"BEGIN { strtok(strstr("abc", "def"), ""); }"#, 256),
        (bad_addr, 0)
    );
    assert_eq!(
        fault_of(r#"BEGIN { trace(strchr("abc", 'z')); }"#, 256),
        (bad_addr, 0)
    );
    assert_eq!(
        fault_of("BEGIN { copyinstr(0x1234, 8); }", 256),
        (bad_addr, 0x1234)
    );
}

#[test]
fn strtok_leaves_the_delimiter_for_the_next_call() {
    assert_eq!(
        traced(r#"trace(strtok("abc", "c")); trace(strtok(NULL, "a"));"#),
        ["ab", "c"]
    );
}

#[test]
fn unset_dynamic_strings_are_null_when_recorded() {
    let bad_addr = Fault::BadAddr as u64;
    assert_eq!(
        fault_of("self string s; BEGIN { trace(self->s); }", 256),
        (bad_addr, 0)
    );
    assert_eq!(
        fault_of("string names[int]; BEGIN { trace(names[3]); }", 256),
        (bad_addr, 0)
    );
    assert_eq!(
        traced(r#"self->s = "set"; trace(self->s); trace(strlen(self->s)); self->s = 0;"#),
        ["set", "3"]
    );
}

/// Doubles for `copyin`: `BEGIN` runs in this process, so their address is a user address.
static DOUBLES: [f64; 2] = [2.5, -1.0];

#[test]
fn doubles_are_read_as_their_bits() {
    let user = DOUBLES.as_ptr() as u64;
    let values = traced(&format!(
        "this->d = (double *)copyin({user}, 16); trace(this->d[1]); trace(this->d[0] == this->d[0]); \
         trace(this->d[0] == this->d[1]); trace(*(float *)this->d);"
    ));
    let minus_one = (-1.0f64).to_bits() as i64;
    let low_half_of_two_and_a_half = i64::from(2.5f64.to_bits() as u32);
    assert_eq!(
        values,
        [
            minus_one.to_string(),
            "1".to_owned(),
            "0".to_owned(),
            low_half_of_two_and_a_half.to_string()
        ]
    );
}

#[test]
fn kernel_symbols_and_lock_subroutines_read_kernel_memory() {
    // The kernel's own BTF starts at __start_BTF with its magic, 0xeb9f. BEGIN runs in this
    // process, whose cred_guard_mutex is free: not owned, no owner, adaptive, not a spin lock.
    let values = traced(
        "trace(*(unsigned short *)&`__start_BTF); \
         this->m = &curthread->signal->cred_guard_mutex; trace(mutex_owned(this->m)); \
         trace((long)mutex_owner(this->m)); trace(mutex_type_adaptive(this->m)); \
         trace(mutex_type_spin(this->m));",
    );
    assert_eq!(values, ["60319", "0", "0", "1", "0"]);
}

/// The D statements that write `bytes` into the `alloca` buffer `this->a` and trace
/// `inet_ntoa6` of it, with `strict` as its second argument.
fn ipv6_trace(bytes: [u8; 16], strict: u8) -> String {
    let mut body = String::from("this->a = (uint8_t *)alloca(16); ");
    for (idx, byte) in bytes.iter().enumerate() {
        write!(body, "this->a[{idx}] = {byte}; ").expect("a String takes any text");
    }
    write!(
        body,
        "trace(inet_ntoa6((struct in6_addr *)this->a, {strict})); "
    )
    .expect("a String takes any text");
    body
}

#[test]
fn inet_ntoa6_writes_what_rust_writes_for_plain_ipv6_addresses() {
    let addresses: [[u16; 8]; 8] = [
        [0xfe80, 0, 0, 0, 0x214, 0x4fff, 0xfe0b, 0x76c8],
        [1, 0, 0, 2, 0, 0, 0, 3],
        [1, 0, 0, 2, 0, 0, 3, 4],
        [0x2001, 0xdb8, 0, 1, 0, 1, 0, 1],
        [0xffff; 8],
        [0x1234, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 1, 0, 0],
        [0xabc, 0x10, 0x1, 0, 0xf00, 0xcafe, 0, 0],
    ];
    let mut body = String::new();
    let mut expected = Vec::new();
    for words in addresses {
        let address = std::net::Ipv6Addr::from(words);
        body.push_str(&ipv6_trace(address.octets(), 0));
        expected.push(address.to_string());
    }
    assert_eq!(traced(&body), expected);
}

#[test]
fn inet_ntoa6_writes_embedded_ipv4_addresses_as_dtrace_does() {
    let mapped = std::net::Ipv4Addr::new(10, 1, 2, 3)
        .to_ipv6_mapped()
        .octets();
    let compatible = std::net::Ipv4Addr::new(0, 0, 2, 3)
        .to_ipv6_compatible()
        .octets();
    let loopback = std::net::Ipv6Addr::LOCALHOST.octets();
    let mut body = String::new();
    for strict in [0, 7] {
        for bytes in [mapped, compatible, loopback] {
            body.push_str(&ipv6_trace(bytes, strict));
        }
    }
    assert_eq!(
        traced(&body),
        [
            "10.1.2.3",
            "0.0.2.3",
            "::1",
            "::ffff:10.1.2.3",
            "::0.0.2.3",
            "::1"
        ]
    );
}

#[test]
fn inet_ntop_picks_the_format_by_family_at_run_time() {
    let values = traced(
        "this->a = (uint8_t *)alloca(16); this->a[0] = 0x20; this->a[1] = 1; this->a[12] = 192; \
         this->a[13] = 168; this->f = AF_INET6; trace(inet_ntop(this->f, this->a)); \
         this->f = AF_INET; trace(inet_ntop(this->f, this->a)); \
         trace(inet_ntop(AF_INET, (char *)this->a + 12));",
    );
    assert_eq!(values, ["2001::c0a8:0", "32.1.0.0", "192.168.0.0"]);
    let text = "BEGIN { trace(inet_ntoa6((struct in6_addr *)0)); }";
    assert_eq!(fault_of(text, 256), (Fault::BadAddr as u64, 0));
}

#[test]
fn ppid_and_vtimestamp_agree_through_task_btf_and_probe_reads() {
    let text = "BEGIN { trace(ppid); trace(pid); trace(vtimestamp > 0); }";
    // SAFETY: `getppid` and `getpid` have no preconditions.
    let expected = unsafe { [libc::getppid(), libc::getpid()] }.map(|id| id.to_string());
    for task_btf in [false, true] {
        let codegen = CodegenOptions {
            bufsize: 1 << 20,
            task_btf,
            ..CodegenOptions::default()
        };
        let (run, listing) = run_begin_with(text, 256, &codegen);
        assert_eq!(run.faults, [], "task_btf {task_btf}");
        assert_eq!(
            run.values,
            [expected[0].as_str(), expected[1].as_str(), "1"],
            "task_btf {task_btf}"
        );
        assert_eq!(
            listing.contains("bpf_get_current_task_btf"),
            task_btf,
            "task_btf {task_btf}: {listing}"
        );
    }
}
