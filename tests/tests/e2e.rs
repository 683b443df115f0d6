//! One test per suite file in `tests/suites/`; the format is described in `tests/README.md`.

/// Declares one `#[test]` per suite, named after its file, and the list of all of them.
macro_rules! suites {
    ($($suite:ident),* $(,)?) => {
        $(
            #[test]
            fn $suite() {
                tests::suite::run_suite(concat!(stringify!($suite), ".test"));
            }
        )*

        const SUITES: &[&str] = &[$(concat!(stringify!($suite), ".test")),*];
    };
}

suites!(
    basics,
    syscall,
    profile,
    scripts,
    lifecycle,
    flags,
    errors,
    variables,
    strings,
    actions,
    aggregations,
    options,
    types,
    speculation,
    translators,
    fds,
    providers,
    funcs,
    stacks,
    conform,
    json,
    vm,
    pid,
    io,
    list_verbose,
    structs,
    print,
    langmisc,
    faults,
    procargs,
    caps,
    errs,
    errsa,
    lang2,
    errsb,
    providers2,
    kmulti,
    aggshare,
    runtime,
    ringbuf,
    aggkey,
    latency,
    uprobemulti,
    compatleft
);

#[test]
fn every_suite_file_has_a_test() {
    let mut declared: Vec<&str> = SUITES.to_vec();
    declared.sort_unstable();
    assert_eq!(
        tests::suite::suite_files(),
        declared,
        "every tests/suites/*.test file needs an entry in the suites! list of tests/tests/e2e.rs"
    );
}
