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
    let log = relay::logwriter::NonBlockingStderr::new();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("RELAY_LOG").unwrap_or_else(|_| "info".into()))
        .with_ansi(false)
        .event_format(relay::logwriter::LineFormat)
        .with_writer(log.clone())
        .init();
    let args = match relay::Args::from_argv(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    let config = match args.resolve(|k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    if let Some(dir) = &config.static_dir
        && !dir.join("index.html").is_file()
    {
        return fail(format!(
            "static directory {} has no index.html; build the app first (scripts/build-app) or pass the right --static DIR",
            dir.display()
        ));
    }
    for ip in &config.egress {
        // Binding proves the IP is this host's; a typo would otherwise only show at the first request.
        if let Err(e) = std::net::TcpListener::bind((*ip, 0)) {
            return fail(format!("egress IP {ip} is not usable on this host ({e}); list only this host's own IPs"));
        }
    }
    // One socket (no SO_REUSEPORT): binding fails if anything, another relay included, already listens there.
    let shared = match listener(config.listen) {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            return fail(format!(
                "cannot listen on {}: the address is already in use; stop the other process or pass another --listen",
                config.listen
            ));
        }
        Err(e) => return fail(format!("cannot listen on {}: {e}; pass another --listen", config.listen)),
    };
    let addr = match shared.local_addr() {
        Ok(a) => a,
        Err(e) => return fail(format!("cannot listen on {}: {e}; pass another --listen", config.listen)),
    };
    // Metrics on their own address (loopback by default), never on the public listener.
    let metrics = match config.metrics_listen.map(metrics_listener).transpose() {
        Ok(m) => m,
        Err(e) => {
            let at = config.metrics_listen.map_or_else(String::new, |a| a.to_string());
            return fail(format!(
                "cannot listen for metrics on {at}: {e}; pass another --metrics-listen (or metrics_listen = \"off\")"
            ));
        }
    };
    let metrics_addr = match metrics.as_ref().map(std::net::TcpListener::local_addr).transpose() {
        Ok(a) => a.map_or_else(|| "off".to_owned(), |a| a.to_string()),
        Err(e) => return fail(format!("cannot listen for metrics: {e}; pass another --metrics-listen")),
    };
    let threads = match config.limits.worker_threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    // One CPU per worker, when there are exactly as many workers as CPUs this process may use (a container limited
    // by a CPU quota rather than a CPU set sees more CPUs than workers, and is left to the scheduler).
    let cpus = if config.limits.pin_workers { allowed_cpus() } else { Vec::new() };
    let pins: Vec<Option<usize>> =
        if threads > 1 && cpus.len() == threads { cpus.into_iter().map(Some).collect() } else { vec![None; threads] };
    let first = match relay::Relay::new(config) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let balancer = relay::server::Balancer::new(threads);
    let mut workers = Vec::new();
    for i in 0..threads {
        let relay = if i == 0 { Ok(first.clone()) } else { first.worker() };
        let relay = match relay {
            Ok(r) => r,
            Err(e) => return fail(e),
        };
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(r) => r,
            Err(e) => return fail(format!("cannot start a worker runtime: {e}")),
        };
        // Every worker polls the same socket; whichever is free accepts.
        let listener =
            match shared.try_clone().and_then(|l| runtime.block_on(async { tokio::net::TcpListener::from_std(l) })) {
                Ok(l) => l,
                Err(e) => return fail(format!("cannot listen on {addr}: {e}; pass another --listen")),
            };
        let mut stop = stop_rx.clone();
        let balancer = balancer.clone();
        let pin = pins.get(i).copied().flatten();
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
        match worker {
            Ok(w) => workers.push(w),
            Err(e) => return fail(format!("cannot start a worker thread: {e}")),
        }
    }
    // The workers hold the socket now; when they drop it at shutdown, the address is free.
    drop(shared);
    let scheme = if first.tls.is_some() { "https" } else { "http" };
    tracing::info!(listen = %addr, metrics = %metrics_addr, scheme, egress = ?first.config.egress, threads, "relay listening");
    let signals = tokio::runtime::Builder::new_current_thread().enable_all().build();
    match signals {
        Ok(rt) => rt.block_on(async {
            // The metrics listener runs here, beside the signal handling, off the workers.
            if let Some(l) = metrics {
                match tokio::net::TcpListener::from_std(l) {
                    Ok(l) => {
                        tokio::spawn(relay::serve_metrics(l, first.clone(), std::future::pending()));
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot serve metrics"),
                }
            }
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            // SIGHUP reads the TLS certificate and key again (docs/relay.md, HTTPS); without TLS it is ignored.
            let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
            loop {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => break,
                    _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => break,
                    _ = async { match hup.as_mut() { Some(h) => { h.recv().await; } None => std::future::pending().await } } => {
                        match &first.tls {
                            // One line either way; the message names files, never their contents.
                            Some(tls) => match tls.reload() {
                                Ok(()) => tracing::info!("reloaded the TLS certificate: new connections use it"),
                                Err(e) => tracing::warn!(
                                    error = %e,
                                    "TLS reload failed: still serving the previous certificate"
                                ),
                            },
                            None => tracing::info!("SIGHUP: no TLS certificate configured, nothing to reload"),
                        }
                    }
                }
            }
        }),
        Err(e) => return fail(format!("cannot wait for signals: {e}")),
    }
    tracing::info!("shutting down: no new connections, finishing open ones");
    let _ = stop_tx.send(true);
    for w in workers {
        let _ = w.join();
    }
    tracing::info!("relay stopped");
    // Write what is queued before exiting, rather than give the log thread a moment that a busy machine may not.
    log.flush();
    drop(Arc::clone(&first));
    ExitCode::SUCCESS
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
