//! A non-blocking log writer: log lines are formatted on the request's thread and appended to a shared buffer; a
//! background thread writes the buffer to stderr every few milliseconds. No request ever waits on stderr or wakes
//! a thread per line. If the buffer is full (the terminal or pipe is far behind), lines are dropped and counted.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Lines dropped because the buffer was full.
pub static DROPPED_LINES: AtomicU64 = AtomicU64::new(0);

/// The most bytes buffered before lines are dropped.
const MAX_BUFFERED: usize = 8 << 20;
/// How often the background thread writes.
const FLUSH_EVERY: Duration = Duration::from_millis(20);

/// Buffers log lines for a background thread that writes them to stderr.
#[derive(Clone)]
pub struct NonBlockingStderr {
    buf: Arc<Mutex<Vec<u8>>>,
}

impl NonBlockingStderr {
    /// Starts the writer thread.
    pub fn new() -> NonBlockingStderr {
        let buf = Arc::new(Mutex::new(Vec::with_capacity(64 * 1024)));
        let shared = buf.clone();
        std::thread::Builder::new()
            .name("relay-log".into())
            .spawn(move || drain(&shared))
            .map(|_| ())
            .unwrap_or_else(|e| eprintln!("relay: cannot start the log thread ({e}); logs are lost"));
        NonBlockingStderr { buf }
    }
}

impl Default for NonBlockingStderr {
    fn default() -> Self {
        NonBlockingStderr::new()
    }
}

fn drain(shared: &Mutex<Vec<u8>>) {
    let mut out = Vec::with_capacity(64 * 1024);
    loop {
        std::thread::sleep(FLUSH_EVERY);
        {
            let mut b = shared.lock().unwrap_or_else(|p| p.into_inner());
            std::mem::swap(&mut *b, &mut out);
        }
        if !out.is_empty() {
            // The stderr lock is taken per batch only: `eprintln!` elsewhere never waits long.
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(&out);
            let _ = err.flush();
            drop(err);
            out.clear();
        }
    }
}

/// One log event being formatted.
pub struct LineWriter {
    shared: Arc<Mutex<Vec<u8>>>,
    line: Vec<u8>,
}

impl Write for LineWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if self.line.is_empty() {
            return;
        }
        let mut b = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        if b.len() + self.line.len() > MAX_BUFFERED {
            DROPPED_LINES.fetch_add(1, Ordering::Relaxed);
        } else {
            b.extend_from_slice(&self.line);
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for NonBlockingStderr {
    type Writer = LineWriter;
    fn make_writer(&'a self) -> LineWriter {
        LineWriter { shared: self.buf.clone(), line: Vec::with_capacity(256) }
    }
}
