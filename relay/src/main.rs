//! The `relay` binary (`relay --help` lists the options, declared on [`relay::Args`]). Metrics are served on their own listener, on the main thread's runtime.
//!
//! One worker thread per core, each with a single-threaded runtime and its own upstream pools, so a request never
//! hops threads. The workers accept from one shared listening socket, each when it is free (as nginx's workers
//! do), so connections go to the least busy worker. Budget and metrics are shared. With one worker per CPU, each
//! worker is pinned to its CPU (`pin_workers`).

use std::net::SocketAddr;

/// mimalloc: per-thread free lists suit a server that allocates small request buffers on every core.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;
use std::sync::Arc;

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("relay: {msg}");
    ExitCode::from(2)
}

/// The metrics listener (non-blocking).
fn metrics_listener(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let l = std::net::TcpListener::bind(addr)?;
    l.set_nonblocking(true)?;
    Ok(l)
}

/// The listening socket the workers share (non-blocking, backlog 4096).
fn listener(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_io().build()?;
    rt.block_on(async {
        let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
        socket.set_reuseaddr(true)?;
        socket.set_nodelay(true)?;
        socket.bind(addr)?;
        socket.listen(4096)?.into_std()
    })
}

fn main() -> ExitCode {
    let log = init_logging();
    let args = match relay::Args::from_argv(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    if let Some(command) = &args.command {
        return run_command(command);
    }
    let code = match serve(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => fail(msg),
    };
    // Write what is queued before exiting, rather than give the log thread a moment that a busy machine may not.
    log.flush();
    code
}

/// Logs as lines on standard error (`RELAY_LOG` filters), written by a thread of their own.
fn init_logging() -> relay::logwriter::NonBlockingStderr {
    let log = relay::logwriter::NonBlockingStderr::new();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("RELAY_LOG").unwrap_or_else(|_| "info".into()))
        .with_ansi(false)
        .event_format(relay::logwriter::LineFormat)
        .with_writer(log.clone())
        .init();
    log
}

/// `relay ips ...` (docs/relay.md, "The signed IP list"): its output on standard output, a failure on standard
/// error with exit code 2.
fn run_command(command: &relay::ips::Command) -> ExitCode {
    match relay::ips::run(command, relay::now_ms() / 1000) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// Runs the relay until SIGINT or SIGTERM: configuration, sockets, workers, then signals; `Err` says why it
/// could not start.
fn serve(args: &relay::Args) -> Result<(), String> {
    let config = args.resolve(|k| std::env::var(k).ok()).map_err(|e| e.to_string())?;
    check_host(&config)?;
    let sockets = Sockets::bind(&config)?;
    let first = relay::Relay::new(config).map_err(|e| e.to_string())?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let workers = start_workers(&first, &sockets, &stop_rx)?;
    let Sockets { shared, addr, metrics, metrics_addr } = sockets;
    // The workers hold the socket now; when they drop it at shutdown, the address is free.
    drop(shared);
    let scheme = if first.tls.is_some() { "https" } else { "http" };
    let threads = workers.len();
    let egress = first.config.egress.clone();
    let listening = move || {
        tracing::info!(listen = %addr, metrics = %metrics_addr, scheme, egress = ?egress, threads, "relay listening");
    };
    wait_for_stop(&first, metrics, listening)?;
    tracing::info!("shutting down: no new connections, finishing open ones");
    let _ = stop_tx.send(true);
    for w in workers {
        let _ = w.join();
    }
    tracing::info!("relay stopped");
    Ok(())
}

/// What must hold on this host before listening: the static directory holds the app, every egress IP is the host's.
fn check_host(config: &relay::Config) -> Result<(), String> {
    if let Some(dir) = &config.static_dir
        && !dir.join("index.html").is_file()
    {
        return Err(format!(
            "static directory {} has no index.html; build the app first (scripts/build-app) or pass the right --static DIR",
            dir.display()
        ));
    }
    for ip in &config.egress {
        // Binding proves the IP is this host's; a typo would otherwise only show at the first request.
        if let Err(e) = std::net::TcpListener::bind((*ip, 0)) {
            return Err(format!("egress IP {ip} is not usable on this host ({e}); list only this host's own IPs"));
        }
    }
    Ok(())
}

/// The listening sockets: the public one the workers share, and the metrics one (if any) with its address.
struct Sockets {
    shared: std::net::TcpListener,
    addr: SocketAddr,
    metrics: Option<std::net::TcpListener>,
    metrics_addr: String,
}

impl Sockets {
    fn bind(config: &relay::Config) -> Result<Sockets, String> {
        // One socket (no SO_REUSEPORT): binding fails if anything, another relay included, already listens there.
        let shared = listener(config.listen).map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => format!(
                "cannot listen on {}: the address is already in use; stop the other process or pass another --listen",
                config.listen
            ),
            _ => format!("cannot listen on {}: {e}; pass another --listen", config.listen),
        })?;
        let addr = shared
            .local_addr()
            .map_err(|e| format!("cannot listen on {}: {e}; pass another --listen", config.listen))?;
        // Metrics on their own address (loopback by default), never on the public listener.
        let metrics = config.metrics_listen.map(metrics_listener).transpose().map_err(|e| {
            let at = config.metrics_listen.map_or_else(String::new, |a| a.to_string());
            format!(
                "cannot listen for metrics on {at}: {e}; pass another --metrics-listen (or metrics_listen = \"off\")"
            )
        })?;
        let metrics_addr = metrics
            .as_ref()
            .map(std::net::TcpListener::local_addr)
            .transpose()
            .map_err(|e| format!("cannot listen for metrics: {e}; pass another --metrics-listen"))?
            .map_or_else(|| "off".to_owned(), |a| a.to_string());
        Ok(Sockets { shared, addr, metrics, metrics_addr })
    }
}

/// One worker thread per configured worker (0: per core), each with its runtime, accepting from the shared socket
/// until `stop` turns true.
fn start_workers(
    first: &Arc<relay::Relay>,
    sockets: &Sockets,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> Result<Vec<std::thread::JoinHandle<()>>, String> {
    let threads = match first.config.limits.worker_threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    // One CPU per worker, when there are exactly as many workers as CPUs this process may use (a container limited
    // by a CPU quota rather than a CPU set sees more CPUs than workers, and is left to the scheduler).
    let cpus = if first.config.limits.pin_workers { allowed_cpus() } else { Vec::new() };
    let pins: Vec<Option<usize>> =
        if threads > 1 && cpus.len() == threads { cpus.into_iter().map(Some).collect() } else { vec![None; threads] };
    let balancer = relay::server::Balancer::new(threads);
    let mut workers = Vec::new();
    for (i, pin) in pins.into_iter().enumerate() {
        let relay = if i == 0 { first.clone() } else { first.worker().map_err(|e| e.to_string())? };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start a worker runtime: {e}"))?;
        // Every worker polls the same socket; whichever is free accepts.
        let listener = sockets
            .shared
            .try_clone()
            .and_then(|l| runtime.block_on(async { tokio::net::TcpListener::from_std(l) }))
            .map_err(|e| format!("cannot listen on {}: {e}; pass another --listen", sockets.addr))?;
        let mut stop = stop.clone();
        let balancer = balancer.clone();
        let worker = std::thread::Builder::new().name(format!("relay-worker-{i}")).spawn(move || {
            if let Some(cpu) = pin
                && !pin_current_thread(cpu)
            {
                tracing::warn!(cpu, "cannot pin a worker thread to its CPU; the scheduler places it");
            }
            let router = relay::app(relay.clone());
            let shutdown = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            let worker = relay::server::Worker { balancer, index: i };
            runtime.block_on(relay::server::serve_worker(listener, relay, router, shutdown, Some(worker)));
        });
        workers.push(worker.map_err(|e| format!("cannot start a worker thread: {e}"))?);
    }
    Ok(workers)
}

/// Serves metrics (if listening) and waits for SIGINT or SIGTERM, reloading the TLS certificate on SIGHUP. Says
/// `listening` once its signal handlers are in place: a signal sent after that line is handled (one sent before
/// would find the default action: SIGHUP would stop the relay, or be lost where it is ignored, as under `nohup`).
fn wait_for_stop(
    first: &Arc<relay::Relay>,
    metrics: Option<std::net::TcpListener>,
    listening: impl FnOnce(),
) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot wait for signals: {e}"))?;
    rt.block_on(async {
        // The metrics listener runs here, beside the signal handling, off the workers.
        if let Some(l) = metrics {
            match tokio::net::TcpListener::from_std(l) {
                Ok(l) => {
                    tokio::spawn(relay::serve_metrics(l, first.clone(), std::future::pending()));
                }
                Err(e) => tracing::warn!(error = %e, "cannot serve metrics"),
            }
        }
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt()).ok();
        let mut term = signal(SignalKind::terminate()).ok();
        // SIGHUP reads the TLS certificate and key again (docs/relay.md, HTTPS), and the signed IP list's file (The
        // signed IP list); without them it is ignored.
        let mut hup = signal(SignalKind::hangup()).ok();
        listening();
        loop {
            tokio::select! {
                _ = async { match int.as_mut() { Some(i) => { i.recv().await; } None => std::future::pending().await } } => break,
                _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => break,
                _ = async { match hup.as_mut() { Some(h) => { h.recv().await; } None => std::future::pending().await } } => reload(first),
            }
        }
    });
    Ok(())
}

/// SIGHUP: the TLS certificate and key read again, and the signed IP list's file. One line each, either way; the
/// message names files, never their contents.
fn reload(relay: &relay::Relay) {
    if let Some(ips) = &relay.signed_ips {
        match ips.reload(relay::now_ms() / 1000) {
            Ok(Some(serial)) => tracing::info!(serial, "reloaded the signed IP list"),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "signed IP list reload failed: still serving the previous list"),
        }
    }
    match &relay.tls {
        Some(tls) => match tls.reload() {
            Ok(()) => tracing::info!("reloaded the TLS certificate: new connections use it"),
            Err(e) => tracing::warn!(error = %e, "TLS reload failed: still serving the previous certificate"),
        },
        None => tracing::info!("SIGHUP: no TLS certificate configured, nothing to reload"),
    }
}

/// The CPUs this process may run on, in order (empty if unknown).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // libc's affinity calls: the only unsafe code in the product
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; the kernel writes at most its size into it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    if unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) } != 0 {
        return Vec::new();
    }
    // SAFETY: every index is below CPU_SETSIZE.
    (0..libc::CPU_SETSIZE as usize).filter(|&c| unsafe { libc::CPU_ISSET(c, &set) }).collect()
}

#[cfg(not(target_os = "linux"))]
fn allowed_cpus() -> Vec<usize> {
    Vec::new()
}

/// Pins the calling thread to `cpu`; false if the kernel refused.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // libc's affinity calls: the only unsafe code in the product
fn pin_current_thread(cpu: usize) -> bool {
    if cpu >= libc::CPU_SETSIZE as usize {
        return false;
    }
    // SAFETY: a zeroed cpu_set_t is a valid empty set, `cpu` is below CPU_SETSIZE, and the kernel only reads the set.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

#[cfg(not(target_os = "linux"))]
fn pin_current_thread(_cpu: usize) -> bool {
    true
}
