//! `tracerd`: the tracing engine as a service. See docs/tracerd.md.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Arg, ArgAction, Command};
use tracer_daemon::catalog::KernelCatalog;
use tracer_daemon::server::config::{Config, DEFAULT_CONFIG};
use tracer_daemon::server::{self, Shared, metrics, notify, standing};

/// The command line.
struct Args {
    socket: Option<PathBuf>,
    config: PathBuf,
    scripts_dir: Option<PathBuf>,
    metrics_addr: Option<String>,
    foreground: bool,
}

fn command() -> Command {
    let value = |name: &'static str, value_name: &'static str, help: &'static str| {
        Arg::new(name)
            .long(name)
            .value_name(value_name)
            .action(ArgAction::Set)
            .help(help)
    };
    Command::new("tracerd")
        .about("The tracer engine behind a Unix socket")
        .version(env!("CARGO_PKG_VERSION"))
        .arg(value(
            "socket",
            "PATH",
            "listen on this socket [default: /run/tracer/tracer.sock]",
        ))
        .arg(value(
            "config",
            "FILE",
            "read this configuration [default: /etc/tracer/tracer.toml]",
        ))
        .arg(value(
            "scripts-dir",
            "DIR",
            "start the standing scripts of this directory [default: /etc/tracer/scripts.d]",
        ))
        .arg(value(
            "metrics-addr",
            "HOST:PORT",
            "serve OpenMetrics over HTTP here [default: none]",
        ))
        .arg(
            Arg::new("foreground")
                .long("foreground")
                .action(ArgAction::SetTrue)
                .help("stay in the foreground and log to stderr (for systemd and journald)"),
        )
}

fn parse() -> Result<Args, clap::Error> {
    let matches = command().try_get_matches()?;
    let path = |name: &str| matches.get_one::<String>(name).map(PathBuf::from);
    Ok(Args {
        socket: path("socket"),
        config: path("config").unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG)),
        scripts_dir: path("scripts-dir"),
        metrics_addr: matches.get_one::<String>("metrics-addr").cloned(),
        foreground: matches.get_flag("foreground"),
    })
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(args) => args,
        Err(clap_error) => {
            let _ = clap_error.print();
            return if clap_error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tracerd: {error:#}");
            ExitCode::from(1)
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let mut config = Config::read(&args.config)?;
    if let Some(socket) = args.socket {
        config.socket = socket;
    }
    if let Some(scripts_dir) = args.scripts_dir {
        config.scripts_dir = scripts_dir;
    }
    if let Some(metrics_addr) = args.metrics_addr {
        config.metrics_addr = Some(metrics_addr);
    }
    let catalog = KernelCatalog::load().context("failed to read the kernel's probes")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("failed to start the runtime")?;
    let shared = Arc::new(Shared::new(config, catalog));
    runtime.block_on(async {
        let listener = server::bind(&shared.config.socket, shared.group_gid)?;
        if let Some(addr) = &shared.config.metrics_addr {
            let metrics_listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("failed to listen for metrics on `{addr}`"))?;
            tokio::spawn(metrics::serve(Arc::clone(&shared), metrics_listener));
        }
        let n_scripts = standing::start_all(&shared, &shared.config.scripts_dir).await;
        if !args.foreground {
            daemonize()?;
        }
        eprintln!(
            "tracerd: listening on `{}` with {n_scripts} standing scripts",
            shared.config.socket.display()
        );
        notify::notify(&format!(
            "READY=1\nSTATUS=listening with {n_scripts} standing scripts\nMAINPID={}",
            std::process::id()
        ));
        server::serve(Arc::clone(&shared), listener, shutdown()).await;
        notify::notify("STOPPING=1");
        let _ = std::fs::remove_file(&shared.config.socket);
        Ok(())
    })
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
}

/// Leaves the terminal: standard streams to `/dev/null` and a session of its own. The process
/// stays the same (no fork), so the sessions' threads and the socket stay as they are; run it in
/// the background (`tracerd &`) or under a service manager.
fn daemonize() -> anyhow::Result<()> {
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .context("failed to open /dev/null")?;
    let fd = std::os::fd::AsRawFd::as_raw_fd(&null);
    for target in 0..=2 {
        // SAFETY: `fd` is open for the duration of the call; dup2 replaces a standard stream.
        unsafe { libc::dup2(fd, target) };
    }
    // SAFETY: setsid has no memory-safety preconditions; failing (already a leader) is harmless.
    unsafe { libc::setsid() };
    Ok(())
}
