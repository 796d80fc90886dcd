//! The PnL engine off the main thread. A dedicated module worker (`static/worker.js`) runs this same wasm module
//! and computes reports; the page sends it the opened ledger chunks and gets the report back, so the page stays
//! responsive however large the ledger is.
//!
//! Protocol (structured clone, buffers transferred), per job `id`:
//! - page -> worker `{ id, op: "chunk", chunk: Uint8Array }`: the plaintext of one ledger record (its events, in any
//!   layout [`decode_chunk`] reads), in the order the page reads them; the worker decodes it at once, in parallel
//!   with the page.
//! - page -> worker `{ id, op: "report", prices: Uint8Array, settings: string }`: the price points in
//!   `ledger::binary`'s layout (every job sends them all; the binary form spares the JSON encoding on the page and
//!   the parsing in the worker) and the engine settings' JSON; the worker answers `{ id, report: string }` (the
//!   report's JSON) or `{ id, error }`.
//! - page -> worker `{ id, op: "extend", base, prices, settings }`: the job's chunks are events later than the
//!   ledger the worker keeps from job `base`'s report (the chunks a sync sealed since); the worker applies them to
//!   that ledger's kept engine state ([`pnl::Incremental`]) and answers the report of the whole, as for "report",
//!   or `{ id, error }` when it keeps no ledger of job `base` or the settings differ (the page then reads the whole
//!   ledger in a new job). The worker keeps one ledger: its last report's or extension's.
//! - page -> worker `{ id, op: "drop" }`: the job is abandoned.
//!
//! Nothing secret crosses: the chunks are already open (the vault and its keys stay on the page), and the worker
//! has no storage or network of its own. If the worker cannot start (an old browser, a blocked script), the page
//! computes the report itself and says so.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use ledger::{Event, PricePoint};
use pnl::{Report, Settings};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// Where the dashboard's report was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComputedIn {
    /// In the engine worker.
    Worker,
    /// On the page, because the worker was unavailable.
    Page,
}

impl ComputedIn {
    /// As shown in the dashboard's `data-computed-in`.
    pub fn as_str(self) -> &'static str {
        match self {
            ComputedIn::Worker => "worker",
            ComputedIn::Page => "page",
        }
    }
}

/// Whether this code runs in a dedicated worker rather than on a page.
pub fn in_worker() -> bool {
    js_sys::global().dyn_into::<web_sys::DedicatedWorkerGlobalScope>().is_ok()
}

/// The events of a ledger read as chunks: every event once, a later chunk's copy of an id replacing an earlier
/// one, ordered by id. The page's ledger and the worker's report both come from here.
#[derive(Default)]
pub struct Merged(BTreeMap<String, Event>);

impl Merged {
    /// Adds the next chunk. Each event's id moves into the map's key (the event keeps an empty one until
    /// [`Merged::into_events`] puts it back): no copy of a million ids.
    pub fn add(&mut self, chunk: Vec<Event>) {
        for mut e in chunk {
            self.0.insert(std::mem::take(&mut e.id), e);
        }
    }

    /// The merged events, with room for an eighth more: the syncs after it append to this vector (the page's ledger
    /// and the worker's kept one), and a vector of a million events that has to move costs a copy of all of it.
    pub fn into_events(self) -> Vec<Event> {
        let n = self.0.len();
        let mut events = Vec::with_capacity(n + n / 8 + 1_024);
        events.extend(self.0.into_iter().map(|(id, mut e)| {
            e.id = id;
            e
        }));
        events
    }
}

/// The first bytes of a ledger chunk in the binary layout (docs/app-storage.md, "Ledger chunks"): the events in
/// `ledger::binary`'s form, compressed (LZ4 block, length first). What this version writes.
const BINARY_CHUNK: &[u8] = b"MCB1";
/// The first bytes of a ledger chunk of compressed JSON, as an earlier version wrote it: still read. A JSON array
/// never starts with `M`, so a chunk sealed before either (plain JSON) still reads too.
const LZ4_CHUNK: &[u8] = b"MCZ1";
/// The largest chunk decompressed: a chunk is a sync checkpoint's or an import's events, far below; a length above
/// it is refused before anything is allocated.
const MAX_CHUNK_BYTES: usize = 512 << 20;

/// Encodes events as a ledger chunk's plaintext, to be sealed: their binary form (`ledger::binary`), compressed,
/// behind [`BINARY_CHUNK`]. Decoding it takes a fraction of decoding JSON, most of opening a heavy account.
pub fn encode_chunk(events: &[Event]) -> Vec<u8> {
    let mut out = BINARY_CHUNK.to_vec();
    out.extend(lz4_flex::compress_prepend_size(&ledger::binary::encode_events(events)));
    out
}

/// Decodes one ledger chunk's plaintext, in any layout a version sealed (binary, compressed JSON, plain JSON): one
/// function for the page and the worker, so the bundle holds one copy.
#[inline(never)]
pub fn decode_chunk(plain: &[u8]) -> Result<Vec<Event>, String> {
    if let Some(packed) = plain.strip_prefix(BINARY_CHUNK) {
        let bytes = decompress(packed)?;
        return ledger::binary::decode_events(&bytes).map_err(|e| e.to_string());
    }
    let Some(packed) = plain.strip_prefix(LZ4_CHUNK) else {
        return serde_json::from_slice(plain).map_err(|e| e.to_string());
    };
    serde_json::from_slice(&decompress(packed)?).map_err(|e| e.to_string())
}

/// An LZ4 block with its length first, refused before allocating when the length is above [`MAX_CHUNK_BYTES`].
fn decompress(packed: &[u8]) -> Result<Vec<u8>, String> {
    let len = packed.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    if len.is_none_or(|n| n > MAX_CHUNK_BYTES) {
        return Err(format!("a compressed chunk claims {len:?} bytes (at most {MAX_CHUNK_BYTES})"));
    }
    lz4_flex::decompress_size_prepended(packed).map_err(|e| format!("it does not decompress: {e}"))
}

fn inputs(prices: &[u8], settings: &str) -> Result<(Vec<PricePoint>, Settings), String> {
    let prices = ledger::binary::decode_prices(prices).map_err(|e| format!("prices do not decode: {e}"))?;
    let settings: Settings = serde_json::from_str(settings).map_err(|e| format!("settings do not decode: {e}"))?;
    Ok((prices, settings))
}

/// The ledger of the worker's last report, with the engine's state after it: what an "extend" job applies new
/// events to.
struct Kept {
    /// The job whose report or extension made it.
    job: u32,
    /// The settings it was computed with, as sent.
    settings: String,
    ledger: pnl::Incremental,
}

thread_local! {
    static KEPT: RefCell<Option<Kept>> = const { RefCell::new(None) };
}

/// Job `id`'s report of `events`, keeping them and the engine's state for a later extension.
fn report_and_keep(id: u32, events: Vec<Event>, prices: &[u8], settings: String) -> Result<Report, String> {
    KEPT.with(|k| k.borrow_mut().take()); // the ledger kept before goes first: one in memory at a time
    let (prices, parsed) = inputs(prices, &settings)?;
    let mut ledger = pnl::Incremental::new(events, &prices, parsed);
    // the engine's summary: without the rows the dashboard never shows (open lots, matched transfers, disposals;
    // the exports recompute them), the matched transfers being most of a heavy trader's report
    let report = ledger.summary(&[]);
    KEPT.with(|k| *k.borrow_mut() = Some(Kept { job: id, settings, ledger }));
    Ok(report)
}

/// Job `id`'s report of the ledger kept from job `base` with `events` added.
fn extend_kept(id: u32, base: u32, events: Vec<Event>, prices: &[u8], settings: String) -> Result<Report, String> {
    let Some(mut kept) = KEPT.with(|k| k.borrow_mut().take()) else {
        return Err(format!("the worker keeps no ledger (job {base}'s was asked for)"));
    };
    if kept.job != base || kept.settings != settings {
        return Err(format!("the worker keeps job {}'s ledger, not job {base}'s with these settings", kept.job));
    }
    let (prices, _) = inputs(prices, &settings)?;
    if let pnl::Extension::Recomputed(why) = kept.ledger.extend(events, &prices) {
        web_sys::console::log_1(&format!("the kept ledger was computed again: {why:?}").into());
    }
    let report = kept.ledger.summary(&[]);
    kept.job = id;
    KEPT.with(|k| *k.borrow_mut() = Some(kept));
    Ok(report)
}

fn field(v: &JsValue, name: &str) -> Result<JsValue, String> {
    js_sys::Reflect::get(v, &JsValue::from_str(name)).map_err(|_| format!("the message has no `{name}`"))
}

fn bytes(v: JsValue, name: &str) -> Result<Vec<u8>, String> {
    v.dyn_into::<js_sys::Uint8Array>().map(|a| a.to_vec()).map_err(|_| format!("`{name}` is not bytes"))
}

/// A job in the worker: the chunks merged so far, or the first error.
type WorkerJob = Result<(Merged, usize), String>;

thread_local! {
    static JOBS: RefCell<BTreeMap<u32, WorkerJob>> = const { RefCell::new(BTreeMap::new()) };
}

/// Handles one message in the worker; `Some(reply)` when the job is done. Reached only through
/// [`crate::split::engine_job`], so the engine's code can live in its own module of the bundle.
pub(crate) fn on_job_message(msg: &JsValue) -> Result<Option<String>, String> {
    let id = field(msg, "id")?.as_f64().ok_or("the message has no job id")? as u32;
    let op = field(msg, "op")?.as_string().unwrap_or_default();
    match op.as_str() {
        "chunk" => {
            let chunk = bytes(field(msg, "chunk")?, "chunk");
            JOBS.with(|jobs| {
                let mut jobs = jobs.borrow_mut();
                let job = jobs.entry(id).or_insert_with(|| Ok((Merged::default(), 0)));
                if let Ok((merged, n)) = job {
                    let parsed = chunk
                        .and_then(|c| decode_chunk(&c).map_err(|e| format!("ledger chunk {n} does not decode: {e}")));
                    match parsed {
                        Ok(events) => {
                            merged.add(events);
                            *n += 1;
                        }
                        Err(e) => *job = Err(e),
                    }
                }
            });
            Ok(None)
        }
        "report" | "extend" => {
            let job = JOBS.with(|jobs| jobs.borrow_mut().remove(&id)).unwrap_or_else(|| Ok((Merged::default(), 0)));
            let (merged, _) = job?;
            let prices = bytes(field(msg, "prices")?, "prices")?;
            let settings = field(msg, "settings")?.as_string().ok_or("`settings` is not text")?;
            let report = if op == "report" {
                report_and_keep(id, merged.into_events(), &prices, settings)?
            } else {
                let base = field(msg, "base")?.as_f64().ok_or("the message has no base job")? as u32;
                extend_kept(id, base, merged.into_events(), &prices, settings)?
            };
            serde_json::to_string(&report).map(Some).map_err(|e| format!("the report does not encode: {e}"))
        }
        "drop" => {
            JOBS.with(|jobs| jobs.borrow_mut().remove(&id));
            Ok(None)
        }
        other => Err(format!("unknown operation `{other}`")),
    }
}

/// The worker's entry point, called by `static/worker.js` once the module is loaded: fetches the engine's code,
/// then answers every job. Jobs are answered in the order they arrive: once the engine's code is there, each job
/// runs to its end in one step.
#[wasm_bindgen]
pub async fn serve_worker() -> Result<(), JsValue> {
    let scope = js_sys::global()
        .dyn_into::<web_sys::DedicatedWorkerGlobalScope>()
        .map_err(|_| JsValue::from_str("serve_worker runs in a dedicated worker only"))?;
    crate::split::preload_engine().await.map_err(|e| JsValue::from_str(&e.to_string()))?;
    let reply_to = scope.clone();
    let on_message = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        let msg = ev.data();
        let reply_to = reply_to.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let id = field(&msg, "id").unwrap_or(JsValue::NULL);
            let answer = match crate::split::engine_job(msg).await {
                Ok(answer) => answer,
                Err(e) => Err(e.to_string()),
            };
            let reply = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&reply, &"id".into(), &id);
            match answer {
                Ok(None) => return,
                Ok(Some(report)) => js_sys::Reflect::set(&reply, &"report".into(), &report.into()),
                Err(e) => js_sys::Reflect::set(&reply, &"error".into(), &e.into()),
            }
            .ok();
            let _ = reply_to.post_message(&reply);
        });
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // the worker's one handler, for its whole life
    on_message.forget();
    Ok(())
}

/// The page's handle on the engine worker.
struct Engine {
    worker: web_sys::Worker,
    /// job id -> (resolve, reject) of the job's promise
    pending: RefCell<BTreeMap<u32, (js_sys::Function, js_sys::Function)>>,
    next: Cell<u32>,
    /// Set when the worker failed to load or crashed: every later job goes to the page.
    broken: Cell<bool>,
}

thread_local! {
    static ENGINE: RefCell<Option<Rc<Engine>>> = const { RefCell::new(None) };
    static SCRIPT: RefCell<String> = RefCell::new("./worker.js".into());
}

/// Uses another worker script (tests, whose page is not the app's).
pub fn set_script(url: &str) {
    SCRIPT.with(|s| *s.borrow_mut() = url.to_owned());
    ENGINE.with(|e| {
        if let Some(old) = e.borrow_mut().take() {
            old.worker.terminate();
        }
    });
}

fn fail_all(engine: &Engine, why: &str) {
    engine.broken.set(true);
    let pending = std::mem::take(&mut *engine.pending.borrow_mut());
    for (_, (_, reject)) in pending {
        let _ = reject.call1(&JsValue::NULL, &JsValue::from_str(why));
    }
}

fn engine() -> Result<Rc<Engine>, String> {
    if let Some(e) = ENGINE.with(|e| e.borrow().clone()) {
        return if e.broken.get() { Err("the engine worker stopped".into()) } else { Ok(e) };
    }
    let options = web_sys::WorkerOptions::new();
    options.set_type(web_sys::WorkerType::Module);
    let script = SCRIPT.with(|s| s.borrow().clone());
    let worker = web_sys::Worker::new_with_options(&script, &options)
        .map_err(|e| format!("the engine worker cannot start: {}", js_text(&e)))?;
    let engine = Rc::new(Engine {
        worker,
        pending: RefCell::new(BTreeMap::new()),
        next: Cell::new(1),
        broken: Cell::new(false),
    });
    let weak = Rc::downgrade(&engine);
    let on_message = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        let Some(engine) = weak.upgrade() else { return };
        let data = ev.data();
        let id = field(&data, "id").ok().and_then(|v| v.as_f64()).unwrap_or(-1.0) as u32;
        if let Some((resolve, _)) = engine.pending.borrow_mut().remove(&id) {
            let _ = resolve.call1(&JsValue::NULL, &data);
        }
    });
    let weak = Rc::downgrade(&engine);
    let on_error = Closure::<dyn Fn(web_sys::Event)>::new(move |ev: web_sys::Event| {
        let Some(engine) = weak.upgrade() else { return };
        let why = js_sys::Reflect::get(&ev, &"message".into()).ok().and_then(|m| m.as_string());
        fail_all(&engine, &format!("the engine worker failed: {}", why.unwrap_or_else(|| "it did not load".into())));
    });
    engine.worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    engine.worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    // the engine worker lives as long as the page (one per page), and so do its handlers
    on_message.forget();
    on_error.forget();
    ENGINE.with(|e| *e.borrow_mut() = Some(engine.clone()));
    Ok(engine)
}

fn js_text(v: &JsValue) -> String {
    v.as_string()
        .or_else(|| js_sys::Reflect::get(v, &"message".into()).ok().and_then(|m| m.as_string()))
        .unwrap_or_else(|| "unknown error".into())
}

/// A report being computed in the engine worker: the page sends each ledger chunk as it opens it (the worker
/// decodes them while the page does), then asks for the report.
pub struct Job {
    engine: Rc<Engine>,
    id: u32,
    done: bool,
}

impl Job {
    /// Starts a job, and the worker if it is not running. An error means the worker is unavailable.
    pub fn begin() -> Result<Job, String> {
        let engine = engine()?;
        let id = engine.next.get();
        engine.next.set(id.wrapping_add(1));
        Ok(Job { engine, id, done: false })
    }

    fn post(&self, msg: &js_sys::Object, transfer: &js_sys::Array) -> Result<(), String> {
        let _ = js_sys::Reflect::set(msg, &"id".into(), &self.id.into());
        self.engine
            .worker
            .post_message_with_transfer(msg, transfer)
            .map_err(|e| format!("the engine worker cannot take the job: {}", js_text(&e)))
    }

    /// Sends the next ledger chunk's plaintext (JSON of `[Event]`), in reading order.
    pub fn add_chunk(&self, plain: &[u8]) -> Result<(), String> {
        let chunk = js_sys::Uint8Array::from(plain);
        let msg = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&msg, &"op".into(), &"chunk".into());
        let _ = js_sys::Reflect::set(&msg, &"chunk".into(), &chunk);
        self.post(&msg, &js_sys::Array::of1(&chunk.buffer()))
    }

    /// This job's id: the worker keeps the ledger of its report, which a later job extends by naming it.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The report of the chunks sent, with these prices and settings.
    pub async fn report(self, prices: &[PricePoint], settings: &Settings) -> Result<Report, String> {
        self.ask_report(prices, settings)?.answer().await
    }

    /// Asks for [`Job::report`] now, to be awaited later: the worker computes while the page goes on.
    pub fn ask_report(self, prices: &[PricePoint], settings: &Settings) -> Result<Asked, String> {
        self.ask("report", None, prices, settings)
    }

    /// The report of the ledger the worker keeps from job `base` with the chunks sent added (events later than
    /// all of its own), with these prices and settings; an error when the worker keeps another ledger.
    pub async fn extend(self, base: u32, prices: &[PricePoint], settings: &Settings) -> Result<Report, String> {
        self.ask("extend", Some(base), prices, settings)?.answer().await
    }

    fn ask(mut self, op: &str, base: Option<u32>, prices: &[PricePoint], settings: &Settings) -> Result<Asked, String> {
        self.done = true;
        let prices = js_sys::Uint8Array::from(ledger::binary::encode_prices(prices).as_slice());
        let settings = serde_json::to_string(settings).map_err(|e| e.to_string())?;
        let msg = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&msg, &"op".into(), &op.into());
        if let Some(base) = base {
            let _ = js_sys::Reflect::set(&msg, &"base".into(), &base.into());
        }
        let _ = js_sys::Reflect::set(&msg, &"prices".into(), &prices);
        let _ = js_sys::Reflect::set(&msg, &"settings".into(), &settings.into());
        let id = self.id;
        let engine = self.engine.clone();
        let promise = js_sys::Promise::new(&mut |resolve, reject| {
            engine.pending.borrow_mut().insert(id, (resolve, reject));
        });
        if let Err(e) = self.post(&msg, &js_sys::Array::of1(&prices.buffer())) {
            engine.pending.borrow_mut().remove(&id);
            return Err(e);
        }
        Ok(Asked { promise })
    }
}

/// A report asked of the engine worker ([`Job::ask_report`]), not yet answered.
pub struct Asked {
    promise: js_sys::Promise,
}

impl Asked {
    /// The worker's report.
    pub async fn answer(self) -> Result<Report, String> {
        let answer = wasm_bindgen_futures::JsFuture::from(self.promise).await.map_err(|e| js_text(&e))?;
        if let Some(report) = field(&answer, "report")?.as_string() {
            return serde_json::from_str(&report).map_err(|e| format!("the worker's report does not decode: {e}"));
        }
        Err(field(&answer, "error")?.as_string().unwrap_or_else(|| "the engine worker gave no report".into()))
    }
}

impl Drop for Job {
    /// An abandoned job (the ledger could not be read): the worker forgets its chunks.
    fn drop(&mut self) {
        if !self.done {
            let msg = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&msg, &"op".into(), &"drop".into());
            let _ = self.post(&msg, &js_sys::Array::new());
        }
    }
}
