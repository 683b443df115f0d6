//! The D library's process model run in the kernel: `fds[]`, `cwd`, `root` and `curpsinfo`,
//! compiled with the library against this kernel's BTF, their `BEGIN` clause run once with
//! `BPF_PROG_TEST_RUN` in this process, and compared with what `/proc` and libc say about it.
//!
//! These tests need root and a kernel with BPF; without them they fail saying so.

mod compiled;

use std::fmt::Write;
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use d_frontend::library;
use d_frontend::sema::CompileOptions;
use d_frontend::source::SourceMap;
use tracer_daemon::catalog::KernelCatalog;
use tracer_daemon::events::decode_record;
use tracer_ebpf::codegen::CodegenOptions;
use tracer_ebpf::layout::{FAULT_RECORD_ID, Value};

/// Runs `BEGIN { body }`, with the D library unless `bare`, with `strsize`, and returns what it
/// traced as text; it must not fault.
fn run(body: &str, strsize: u32, bare: bool) -> Vec<String> {
    let catalog =
        KernelCatalog::load().unwrap_or_else(|error| panic!("the probe catalog loads: {error}"));
    let text = format!("BEGIN {{ {body} }}");
    let codegen = CodegenOptions {
        bufsize: 1 << 20,
        ..CodegenOptions::default()
    };
    let options = CompileOptions {
        strsize,
        ..CompileOptions::default()
    };
    let (generated, mut session) = if bare {
        compiled::load(&text, &catalog, &options, &codegen)
    } else {
        let mut sources = SourceMap::default();
        let library = library::add(&mut sources, library::FILES);
        let file = sources.add("t.d", &text);
        let options = CompileOptions { library, ..options };
        compiled::load_sources(&sources, file, &catalog, &options, &codegen)
    };
    session.run_begin().expect("BEGIN runs");
    let mut values = Vec::new();
    session
        .poll_events(Duration::ZERO, &mut |bytes| {
            let clause = u32::from_ne_bytes(bytes[..4].try_into().expect("a header"));
            assert_ne!(clause, FAULT_RECORD_ID, "{text} faulted");
            let record = decode_record(&generated.program.records[clause as usize], bytes)
                .expect("the record decodes");
            values.extend(
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
    values
}

/// Runs `BEGIN { body }` with the D library and the default `strsize`.
fn traced(body: &str) -> Vec<String> {
    run(body, 256, false)
}

/// What `/proc/self/fd/N` says descriptor `fd` is.
fn proc_link(fd: i32) -> String {
    std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .unwrap_or_else(|error| panic!("fd {fd} is open: {error}"))
        .to_string_lossy()
        .into_owned()
}

/// A file created in a new directory under `parent`, kept open; the directory goes with it.
struct TempFile {
    dir: std::path::PathBuf,
    file: File,
}

impl TempFile {
    fn new(parent: &str, name: &str) -> TempFile {
        let dir =
            std::path::Path::new(parent).join(format!("tracer-fds-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("the directory is created");
        let file = File::create(dir.join(name)).expect("the file is created");
        TempFile { dir, file }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn paths_of_files_are_what_proc_shows() {
    let regular = TempFile::new("/tmp", "regular.txt");
    let shm = TempFile::new("/dev/shm", "shared.txt");
    let stat = File::open("/proc/self/stat").expect("/proc is mounted");
    let null = File::open("/dev/null").expect("/dev/null opens");
    let fds = [
        regular.file.as_raw_fd(),
        shm.file.as_raw_fd(),
        stat.as_raw_fd(),
        null.as_raw_fd(),
    ];
    let body = fds.iter().fold(String::new(), |mut body, fd| {
        write!(body, "trace(fds[{fd}].fi_pathname);").expect("a String takes any text");
        body
    });
    let expected: Vec<String> = fds.iter().map(|&fd| proc_link(fd)).collect();
    assert_eq!(traced(&body), expected);
    let shm_fd = shm.file.as_raw_fd();
    assert_eq!(
        traced(&format!(
            "trace(fds[{shm_fd}].fi_name); trace(fds[{shm_fd}].fi_dirname); \
             trace(fds[{shm_fd}].fi_fs); trace(fds[{shm_fd}].fi_mount); \
             trace(fds[{fd}].fi_fs); trace(fds[{fd}].fi_mount);",
            fd = stat.as_raw_fd()
        )),
        [
            "shared.txt".to_owned(),
            shm.dir.to_string_lossy().into_owned(),
            "tmpfs".to_owned(),
            "/dev/shm".to_owned(),
            "proc".to_owned(),
            "/proc".to_owned(),
        ]
    );
}

#[test]
fn sockets_pipes_and_anonymous_inodes_are_named_as_the_kernel_names_them() {
    let (socket, _peer) = UnixStream::pair().expect("a socket pair");
    let mut pipe = [0; 2];
    // SAFETY: `pipe` writes two descriptors into the array it is given.
    assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
    // SAFETY: the descriptors are new and owned here from now on.
    let pipe_ends: Vec<OwnedFd> = pipe
        .iter()
        .map(|&fd| unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) })
        .collect();
    // SAFETY: `eventfd` takes no pointers.
    let eventfd = unsafe { libc::eventfd(0, 0) };
    assert!(eventfd >= 0);
    // SAFETY: the descriptor is new and owned here from now on.
    let _eventfd: OwnedFd = unsafe { std::os::fd::FromRawFd::from_raw_fd(eventfd) };
    let fds = [socket.as_raw_fd(), pipe_ends[0].as_raw_fd(), eventfd];
    let body = fds.iter().fold(String::new(), |mut body, fd| {
        write!(
            body,
            "trace(fds[{fd}].fi_pathname); trace(fds[{fd}].fi_name);"
        )
        .expect("a String takes any text");
        body
    });
    let expected: Vec<String> = fds
        .iter()
        .flat_map(|&fd| [proc_link(fd), proc_link(fd)])
        .collect();
    assert!(expected[0].starts_with("socket:["), "{expected:?}");
    assert!(expected[2].starts_with("pipe:["), "{expected:?}");
    assert_eq!(expected[4], "anon_inode:[eventfd]");
    assert_eq!(traced(&body), expected);
}

#[test]
fn descriptors_without_a_file_read_none_and_negative_ones_unknown() {
    // Descriptor 1001 grows the table past 1000, which stays free: new descriptors take the
    // lowest free number, and this process has far fewer open.
    let null = File::open("/dev/null").expect("/dev/null opens");
    // SAFETY: `dup2` takes no pointers; 1001 is closed again below.
    assert_eq!(unsafe { libc::dup2(null.as_raw_fd(), 1001) }, 1001);
    let values = traced(
        "trace(fds[1000].fi_pathname); trace(fds[1000].fi_oflags); trace(fds[1001].fi_name); \
         trace(fds[1000000].fi_name); trace(fds[-1].fi_pathname); trace(fds[-1].fi_offset);",
    );
    // SAFETY: 1001 was opened above and nothing else uses it.
    unsafe { libc::close(1001) };
    assert_eq!(values, ["<none>", "0", "null", "<none>", "<unknown>", "0"]);
}

#[test]
fn a_path_longer_than_strsize_keeps_its_beginning() {
    let deep = TempFile::new("/tmp", "a-file-name-long-enough-to-cross-the-string-size");
    let fd = deep.file.as_raw_fd();
    let path = proc_link(fd);
    assert!(path.len() > 32);
    assert_eq!(
        run(&format!("trace(fds[{fd}].fi_pathname);"), 32, false),
        [&path[..32]]
    );
}

#[test]
fn offsets_and_flags_come_from_the_open_file() {
    use std::io::Write;
    let mut regular = TempFile::new("/tmp", "offset.txt");
    regular
        .file
        .write_all(b"12345")
        .expect("the file is written");
    let fd = regular.file.as_raw_fd();
    // SAFETY: `fcntl(F_GETFL)` takes no pointers.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    assert_eq!(
        traced(&format!(
            "trace(fds[{fd}].fi_offset); trace(fds[{fd}].fi_oflags & O_ACCMODE);"
        )),
        ["5".to_owned(), (flags & libc::O_ACCMODE).to_string()]
    );
}

#[test]
fn d_path_needs_no_library() {
    assert_eq!(
        run(
            "trace(d_path(&curthread->fs->root)); trace(d_mountpath(&curthread->fs->root));",
            256,
            true
        ),
        ["/", "/"]
    );
}

#[test]
fn cwd_and_root_are_the_process_directories() {
    let cwd = std::env::current_dir().expect("a working directory");
    assert_eq!(
        traced("trace(cwd); trace(root);"),
        [cwd.to_string_lossy().into_owned(), "/".to_owned()]
    );
}

#[test]
fn execargs_are_the_command_line_with_spaces() {
    let cmdline = std::fs::read("/proc/self/cmdline").expect("a command line");
    let mut expected = cmdline[..cmdline.len().min(256)].to_vec();
    let last = expected.len() - 1;
    for byte in &mut expected[..last] {
        if *byte == 0 {
            *byte = b' ';
        }
    }
    let end = expected
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(expected.len());
    let expected = String::from_utf8_lossy(&expected[..end]).into_owned();
    assert_eq!(
        traced("trace(execargs); trace(curpsinfo->pr_psargs);"),
        [
            expected.clone(),
            expected[..expected.len().min(79)].to_owned()
        ]
    );
}

#[test]
fn psinfo_finds_the_argument_and_environment_vectors() {
    let first = |path: &str| {
        let bytes = std::fs::read(path).unwrap_or_else(|error| panic!("{path}: {error}"));
        let end = bytes
            .iter()
            .position(|&byte| byte == 0)
            .unwrap_or(bytes.len());
        String::from_utf8_lossy(&bytes[..end]).into_owned()
    };
    assert_eq!(
        traced(
            "trace(curpsinfo->pr_argc); \
             trace(copyinstr(*(uint64_t *)copyin(curpsinfo->pr_argv, 8))); \
             trace(copyinstr(*(uint64_t *)copyin(curpsinfo->pr_envp, 8)));"
        ),
        [
            std::env::args_os().count().to_string(),
            first("/proc/self/cmdline"),
            first("/proc/self/environ"),
        ]
    );
}

#[test]
fn psinfo_describes_this_process() {
    // SAFETY: these calls take no pointers and cannot fail for the calling process.
    let (pid, ppid, pgid, sid, uid, gid) = unsafe {
        (
            libc::getpid(),
            libc::getppid(),
            libc::getpgid(0),
            libc::getsid(0),
            libc::getuid(),
            libc::getgid(),
        )
    };
    let values = traced(
        "trace(curpsinfo->pr_pid); trace(curpsinfo->pr_ppid); trace(curpsinfo->pr_pgid); \
         trace(curpsinfo->pr_sid); trace(curpsinfo->pr_uid); trace(curpsinfo->pr_gid); \
         trace(curpsinfo->pr_dmodel == PR_MODEL_LP64); trace(curlwpsinfo->pr_lwpid == tid); \
         trace(curlwpsinfo->pr_sname); trace(curpsinfo->pr_fname);",
    );
    let comm = std::fs::read_to_string("/proc/thread-self/comm").expect("a comm");
    assert_eq!(
        values,
        [
            pid.to_string(),
            ppid.to_string(),
            pgid.to_string(),
            sid.to_string(),
            uid.to_string(),
            gid.to_string(),
            "1".to_owned(),
            "1".to_owned(),
            i32::from(b'R').to_string(),
            comm.trim_end().to_owned(),
        ]
    );
}
