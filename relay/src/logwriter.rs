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

    /// Writes what is buffered now, after the batch the background thread may be writing: at exit, so that no line
    /// logged before is lost, however late the background thread would have run.
    pub fn flush(&self) {
        write_batch(&self.buf, &mut Vec::new());
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
        write_batch(shared, &mut out);
    }
}

/// Takes the buffered lines (into `out`, whose capacity is reused) and writes them to stderr. The stderr lock is held
/// from the take to the end of the write, so batches are written whole and in order, and [`NonBlockingStderr::flush`]
/// waits for a batch being written; it is held per batch only: `eprintln!` elsewhere never waits long.
fn write_batch(shared: &Mutex<Vec<u8>>, out: &mut Vec<u8>) {
    let mut err = std::io::stderr().lock();
    {
        let mut b = shared.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::swap(&mut *b, out);
    }
    if !out.is_empty() {
        let _ = err.write_all(out);
        let _ = err.flush();
        out.clear();
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

/// The relay's log line format: tracing-subscriber's default full format without spans or colour
/// (`2026-11-27T12:34:56.123456Z  INFO relay::forward: forwarded venue="binance" status=200 ...`), written without
/// going through `fmt::Debug` for strings and integers, and with the date part of the timestamp formatted once per
/// second. Every request at `info` writes one such line, so its cost is part of the relay's throughput.
pub struct LineFormat;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for LineFormat
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let mut line = String::with_capacity(256);
        timestamp(&mut line);
        let meta = event.metadata();
        line.push_str(match *meta.level() {
            tracing::Level::ERROR => " ERROR ",
            tracing::Level::WARN => "  WARN ",
            tracing::Level::INFO => "  INFO ",
            tracing::Level::DEBUG => " DEBUG ",
            tracing::Level::TRACE => " TRACE ",
        });
        line.push_str(meta.target());
        line.push(':');
        event.record(&mut Fields(&mut line));
        line.push('\n');
        writer.write_str(&line)
    }
}

/// Writes `name=value` pairs: strings quoted (escaped like `Debug` when needed), numbers as digits.
struct Fields<'a>(&'a mut String);

impl Fields<'_> {
    fn name(&mut self, field: &tracing::field::Field) {
        self.0.push(' ');
        if field.name() != "message" {
            self.0.push_str(field.name());
            self.0.push('=');
        }
    }
}

impl tracing::field::Visit for Fields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.name(field);
        if field.name() == "message" {
            self.0.push_str(value);
        } else if value.bytes().all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\') {
            self.0.push('"');
            self.0.push_str(value);
            self.0.push('"');
        } else {
            let _ = write!(self.0, "{value:?}");
        }
    }

    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.name(field);
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        let mut v = value;
        loop {
            i -= 1;
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.0.push_str(std::str::from_utf8(&buf[i..]).unwrap_or("?"));
    }

    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        if value >= 0 {
            return self.record_u64(field, value as u64);
        }
        self.name(field);
        let _ = write!(self.0, "{value}");
    }

    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.name(field);
        self.0.push_str(if value { "true" } else { "false" });
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.name(field);
        let _ = write!(self.0, "{value:?}");
    }
}

use std::fmt::Write as _;

thread_local! {
    /// The last second formatted (`YYYY-MM-DDTHH:MM:SS`) and its Unix time.
    static SECOND: std::cell::RefCell<(u64, String)> = const { std::cell::RefCell::new((u64::MAX, String::new())) };
}

/// Appends the UTC time as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
fn timestamp(out: &mut String) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = now.as_secs();
    SECOND.with(|s| {
        let mut s = s.borrow_mut();
        if s.0 != secs {
            let t = i64::try_from(secs)
                .ok()
                .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok())
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            let (y, m, d) = (t.year(), u8::from(t.month()), t.day());
            s.1.clear();
            let _ = write!(s.1, "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
            s.0 = secs;
        }
        out.push_str(&s.1);
    });
    let micros = now.subsec_micros();
    out.push('.');
    let mut digits = [b'0'; 6];
    let mut v = micros;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.push_str(std::str::from_utf8(&digits).unwrap_or("000000"));
    out.push('Z');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let day = || {
            let t = time::OffsetDateTime::now_utc();
            format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
        };
        let mut s = String::new();
        let before = day();
        timestamp(&mut s);
        let after = day();
        assert!(s[..10] == before || s[..10] == after, "{s} is not today ({before}, {after})");
        assert_eq!(s.len(), "2026-11-27T12:34:56.123456Z".len(), "{s}");
        assert!(s.ends_with('Z') && s.as_bytes()[10] == b'T', "{s}");
    }

    #[test]
    fn lines_look_like_the_default_format() {
        use tracing_subscriber::fmt::MakeWriter;
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl<'a> MakeWriter<'a> for Buf {
            type Writer = BufWriter;
            fn make_writer(&'a self) -> BufWriter {
                BufWriter(self.0.clone())
            }
        }
        struct BufWriter(Arc<Mutex<Vec<u8>>>);
        impl Write for BufWriter {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let sub = tracing_subscriber::fmt().event_format(LineFormat).with_writer(buf.clone()).finish();
        tracing::subscriber::with_default(sub, || {
            tracing::info!(venue = "binance", status = 200u16, weight = 1u32, ok = true, odd = "a\"b", "forwarded");
            tracing::warn!(n = -3i64, e = %"disp", "upstream failure");
        });
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].ends_with(
                "Z  INFO relay::logwriter::tests: forwarded venue=\"binance\" status=200 weight=1 ok=true odd=\"a\\\"b\""
            ),
            "{text}"
        );
        assert!(lines[1].ends_with("Z  WARN relay::logwriter::tests: upstream failure n=-3 e=disp"), "{text}");
    }
}
