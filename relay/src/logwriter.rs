//! The relay's logging: a line format ([`LineFormat`]) and a non-blocking writer to stderr ([`NonBlockingStderr`],
//! tracing-appender's `non_blocking`). Lines are formatted on the request's thread and handed to a background
//! thread that writes them; no request ever waits on stderr. If the background thread falls far behind (the
//! terminal or pipe is slow), lines are dropped and counted ([`dropped_lines`], `relay_log_lines_dropped_total`)
//! rather than slowing requests.

use std::sync::{Arc, Mutex, OnceLock};

use tracing_appender::non_blocking::{ErrorCounter, NonBlocking, NonBlockingBuilder, WorkerGuard};

/// The writer's count of dropped lines, once the writer exists.
static DROPPED: OnceLock<ErrorCounter> = OnceLock::new();

/// Lines dropped so far because the background writer was too far behind.
pub fn dropped_lines() -> u64 {
    DROPPED.get().map_or(0, |c| c.dropped_lines() as u64)
}

/// Log lines for a background thread that writes them to stderr (a `MakeWriter` for tracing-subscriber).
#[derive(Clone)]
pub struct NonBlockingStderr {
    writer: NonBlocking,
    /// Dropping the guard writes what is queued and stops the thread.
    guard: Arc<Mutex<Option<WorkerGuard>>>,
}

impl NonBlockingStderr {
    /// Starts the writer thread (`relay-log`).
    pub fn new() -> NonBlockingStderr {
        // Buffered: the thread writes what is queued in one system call, not one per line.
        let stderr = std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr());
        let (writer, guard) = NonBlockingBuilder::default().lossy(true).thread_name("relay-log").finish(stderr);
        let _ = DROPPED.set(writer.error_counter());
        NonBlockingStderr { writer, guard: Arc::new(Mutex::new(Some(guard))) }
    }

    /// Writes every line logged so far and stops the background thread: at exit, so that no line logged before is
    /// lost. Lines logged after this are dropped.
    pub fn flush(&self) {
        drop(self.guard.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take());
    }
}

impl Default for NonBlockingStderr {
    fn default() -> Self {
        NonBlockingStderr::new()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for NonBlockingStderr {
    type Writer = NonBlocking;
    fn make_writer(&'a self) -> NonBlocking {
        self.writer.clone()
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
    use std::io::Write;

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
