//! Harness for the end-to-end and browser tests: a headless Chromium driven through chromedriver (Debian's
//! `chromium` and `chromium-driver`, installed by `scripts/test`), pointed at the relay serving the built app.
//!
//! The tests are plain `#[tokio::test]`s in `tests/`; they fail with a message saying what to run when the app
//! bundle or the browser is missing, never skip.
#![deny(missing_docs)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};

/// How long a test waits for an event (an element, a download, a port) before it fails: only a hang takes this long,
/// never a slow machine (a cold Chromium compiling the bundle on a busy machine takes seconds, not minutes).
pub const PATIENCE: Duration = Duration::from_secs(120);

/// How long a test waits for a sync to finish: a first sync waits for the relay's rate-limit minutes (a Binance
/// account's backfill reads about 2,700 SAPI weight, more than one key's share of the relay's minute; docs/sync.md,
/// "What it costs"), so it takes minutes by design; ten minutes is a hang.
pub const SYNC_PATIENCE: Duration = Duration::from_secs(600);

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// The static directory with the built bundle; panics with what to run when the bundle is missing.
pub fn built_static_dir() -> PathBuf {
    let dir = workspace_root().join("static");
    let wasm = dir.join("pkg/app_bg.wasm");
    assert!(
        wasm.exists(),
        "{} is missing: build the app first with scripts/build-app (scripts/test does)",
        wasm.display()
    );
    dir
}

/// Where tests leave screenshots for people to look at: `target/screenshots/`, and `docs/screenshots/`, which the
/// README shows (every run refreshes them).
pub fn screenshot_dirs() -> [PathBuf; 2] {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"));
    let dirs = [target.join("screenshots"), workspace_root().join("docs/screenshots")];
    for dir in &dirs {
        std::fs::create_dir_all(dir).expect("screenshot dir");
    }
    dirs
}

/// axe-core's script (`node_modules/axe-core/axe.min.js`, pinned in `package.json`; `scripts/lib.sh` installs it
/// with `npm ci`); panics with what to run when it is missing.
pub fn axe_source() -> String {
    let path = workspace_root().join("node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{}: {e}: install the npm packages first with `npm ci` (scripts/test does)", path.display())
    })
}

/// One rule axe-core found violated on a page: its id, impact (`minor`, `moderate`, `serious`, `critical`), help
/// text and the elements, as CSS selectors.
#[derive(Debug, Clone)]
pub struct AxeViolation {
    /// The rule, e.g. `aria-required-children`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: String,
    /// What the rule asks.
    pub help: String,
    /// The offending elements (at most five), as axe's selectors.
    pub targets: Vec<String>,
    /// How many elements violate it.
    pub nodes: usize,
}

/// The impacts axe-core reports, least to most severe.
pub const AXE_IMPACTS: [&str; 4] = ["minor", "moderate", "serious", "critical"];

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port()
}

fn wait_for_port(addr: SocketAddr, within: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A headless Chromium session with its own chromedriver and a fresh profile; both end when it is dropped.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    driver: Child,
    _profile: TempDir,
    /// Where the browser saves downloads.
    pub downloads: TempDir,
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new empty directory under the system temp dir.
    pub fn new(prefix: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn find_program(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!("{name} not found on PATH: install Debian's chromium and chromium-driver (scripts/test does)")
        })
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with the flags that work on this kind of machine as root. A
    /// chromedriver that drops the new-session request (its port taken by a test starting at the same moment) is
    /// stopped and another one started, up to three times.
    pub async fn start() -> Browser {
        let mut last = String::new();
        for _ in 0..3 {
            match Browser::try_start().await {
                Ok(b) => return b,
                Err(e) => last = e,
            }
        }
        panic!("connect to chromedriver: {last}")
    }

    async fn try_start() -> Result<Browser, String> {
        let chromium = find_program("chromium");
        let chromedriver = find_program("chromedriver");
        let port = free_port();
        let mut driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        assert!(wait_for_port(SocketAddr::from(([127, 0, 0, 1], port)), PATIENCE), "chromedriver did not listen");
        let profile = TempDir::new("meetcrypt-chromium");
        let downloads = TempDir::new("meetcrypt-downloads");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("--user-data-dir={}", profile.0.display())])
        .collect::<Vec<_>>();
        let mut caps = serde_json::Map::new();
        let prefs = serde_json::json!({
            "download.default_directory": downloads.0,
            "download.prompt_for_download": false,
        });
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": chromium, "args": args, "prefs": prefs }),
        );
        let client = match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => c,
            Err(e) => {
                let _ = driver.kill();
                let _ = driver.wait();
                return Err(e.to_string());
            }
        };
        Ok(Browser { client, driver, _profile: profile, downloads })
    }

    /// Emulates a slower network for this browser (chromedriver's network conditions): `latency_ms` added to each
    /// request, `bytes_per_s` down and up.
    pub async fn throttle(&self, latency_ms: u64, bytes_per_s: u64) {
        self.client.issue_cmd(NetworkConditions { latency_ms, bytes_per_s }).await.expect("set network conditions");
    }

    /// Records the page's console errors and uncaught errors from now on, for `wait_testid`'s failure message.
    pub async fn capture_errors(&self) {
        let hook = "window.__errors = window.__errors || [];
            const keep = (m) => window.__errors.push(String(m).slice(0, 500));
            const error = console.error.bind(console);
            console.error = (...a) => { keep(a.join(' ')); error(...a); };
            window.addEventListener('error', (e) => keep(e.message));
            window.addEventListener('unhandledrejection', (e) => keep(e.reason));";
        self.client.execute(hook, vec![]).await.expect("install the error hook");
    }

    /// The first run: opens the app at `url` (the page's errors recorded from then on) and creates a vault with
    /// `passphrase`, up to the empty dashboard.
    pub async fn create_vault(&self, url: &str, passphrase: &str) {
        self.client.goto(url).await.unwrap();
        self.capture_errors().await;
        self.fill("passphrase", passphrase).await;
        self.fill("passphrase-confirm", passphrase).await;
        self.click_testid("create-vault").await;
        self.wait_testid("dashboard-empty").await;
    }

    /// Every key and value in every IndexedDB database and store of the page, and localStorage, as text (bytes as
    /// Latin-1): what the search for a plaintext secret reads.
    pub async fn storage_dump(&self) -> String {
        let script = r#"
            const done = arguments[arguments.length - 1];
            (async () => {
              let out = JSON.stringify(Object.assign({}, localStorage));
              for (const info of await indexedDB.databases()) {
                const db = await new Promise((ok, err) => { const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); r.onerror = err; });
                for (const store of db.objectStoreNames) {
                  const values = await new Promise((ok, err) => { const r = db.transaction(store).objectStore(store).getAll(); r.onsuccess = () => ok(r.result); r.onerror = err; });
                  const keys = await new Promise((ok, err) => { const r = db.transaction(store).objectStore(store).getAllKeys(); r.onsuccess = () => ok(r.result); r.onerror = err; });
                  out += keys.join("\n");
                  for (const v of values) {
                    if (typeof v === "string") { out += "\n" + v; continue; }
                    const bytes = v instanceof Uint8Array ? v : new Uint8Array(v.buffer || []);
                    let s = ""; for (const c of bytes) s += String.fromCharCode(c);
                    out += "\n" + s;
                  }
                }
                db.close();
              }
              done(out);
            })().catch(e => done("ERROR " + e));
        "#;
        let v = self.client.execute_async(script, vec![]).await.expect("dump storage");
        let s = v.as_str().unwrap_or_default().to_string();
        assert!(!s.starts_with("ERROR"), "{s}");
        s
    }

    /// Types `text` into the element with this `data-testid`, replacing what it held.
    pub async fn fill(&self, testid: &str, text: &str) {
        let el = self.wait_testid(testid).await;
        el.clear().await.unwrap();
        el.send_keys(text).await.unwrap();
    }

    /// Clicks the element with this `data-testid` once it is there.
    pub async fn click_testid(&self, testid: &str) {
        self.wait_testid(testid).await.click().await.unwrap();
    }

    /// Waits until the text of the element with this `data-testid` satisfies `ok`, and returns it (a hang fails after
    /// [`PATIENCE`], quoting what the element and the page show).
    pub async fn wait_text(&self, testid: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let text = match self.client.find(Locator::Css(&format!("[data-testid='{testid}']"))).await {
                Ok(el) => el.text().await.ok(),
                Err(_) => None,
            };
            if let Some(t) = &text
                && ok(t)
            {
                return t.clone();
            }
            if start.elapsed() > PATIENCE {
                let page = self
                    .client
                    .execute("return document.body.innerText.slice(0, 3000);", vec![])
                    .await
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                panic!("timed out waiting for {testid}: {what}; it shows {text:?}; the page shows:\n{page}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for an element with this `data-testid` (a hang fails after [`PATIENCE`]); on a timeout, the panic quotes
    /// what the page shows.
    pub async fn wait_testid(&self, id: &str) -> fantoccini::elements::Element {
        let css = format!("[data-testid='{id}']");
        match self.client.wait().at_most(PATIENCE).for_element(Locator::Css(&css)).await {
            Ok(element) => element,
            Err(e) => {
                let shown = self
                    .client
                    .execute("return document.body.innerText.slice(0, 2000) + '\\nconsole: ' + (window.__errors || []).join('\\n')", vec![])
                    .await
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                panic!("no element data-testid={id} within {PATIENCE:?}: {e}; the page shows:\n{shown}")
            }
        }
    }

    /// The names of the account rows the Accounts tab shows, sorted (opens the tab).
    pub async fn account_names(&self) -> Vec<String> {
        self.click_testid("add-account").await;
        self.wait_testid("account-row").await;
        let mut names = Vec::new();
        for el in self.client.find_all(Locator::Css("[data-testid='account-name']")).await.unwrap() {
            names.push(el.text().await.unwrap());
        }
        names.sort();
        names
    }

    /// Saves a PNG screenshot of the page as `NAME.png` in `target/screenshots/` and `docs/screenshots/` (see
    /// [`screenshot_dirs`]) and returns the first path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let paths = screenshot_dirs().map(|dir| dir.join(format!("{name}.png")));
        for path in &paths {
            std::fs::write(path, &png).expect("write screenshot");
        }
        paths[0].clone()
    }

    /// Runs axe-core (injected into the page on first use, as [`axe_source`] reads it) on the whole document and
    /// returns its violations.
    pub async fn axe(&self) -> Vec<AxeViolation> {
        let loaded = self.client.execute("return typeof window.axe === 'object';", vec![]).await.expect("probe axe");
        if loaded != serde_json::Value::Bool(true) {
            let inject = format!("{}\nreturn typeof window.axe === 'object';", axe_source());
            let ok = self.client.execute(&inject, vec![]).await.expect("inject axe-core");
            assert_eq!(ok, serde_json::Value::Bool(true), "axe-core did not load into the page");
        }
        let run = "const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact || 'minor', help: v.help,
                nodes: v.nodes.length, targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')) }))))
              .catch(e => done('ERROR ' + e));";
        let result = self.client.execute_async(run, vec![]).await.expect("run axe-core");
        let list = result.as_array().unwrap_or_else(|| panic!("axe-core failed: {result}"));
        list.iter()
            .map(|v| AxeViolation {
                id: v["id"].as_str().unwrap_or_default().to_string(),
                impact: v["impact"].as_str().unwrap_or_default().to_string(),
                help: v["help"].as_str().unwrap_or_default().to_string(),
                targets: v["targets"]
                    .as_array()
                    .map(|t| t.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default(),
                nodes: v["nodes"].as_u64().unwrap_or_default() as usize,
            })
            .collect()
    }

    /// Presses a key (down, then up) on whatever has the focus, as a keyboard does: no element is clicked or
    /// targeted.
    pub async fn press(&self, key: Key) {
        self.keys(&[char::from(key)]).await;
    }

    /// Types text into whatever has the focus, a key at a time.
    pub async fn type_text(&self, text: &str) {
        self.keys(&text.chars().collect::<Vec<_>>()).await;
    }

    async fn keys(&self, keys: &[char]) {
        let mut actions = KeyActions::new("keyboard".into());
        for &value in keys {
            actions = actions.then(KeyAction::Down { value }).then(KeyAction::Up { value });
        }
        self.client.perform_actions(actions).await.expect("press keys");
    }

    /// What has the focus: its `data-testid`, else its `id`, else its tag name.
    pub async fn focused(&self) -> String {
        let who = self
            .client
            .execute(
                "const e = document.activeElement; \
                 return e ? (e.dataset.testid || e.id || e.tagName.toLowerCase()) : 'nothing';",
                vec![],
            )
            .await
            .expect("read the focused element");
        who.as_str().unwrap_or_default().to_string()
    }

    /// Presses Tab (or Shift+Tab when `back`) until the element with this `data-testid` has the focus; fails after
    /// 60 presses, naming what got the focus on the way.
    pub async fn tab_to(&self, testid: &str, back: bool) {
        let condition = format!("e.dataset.testid === {}", serde_json::Value::from(testid));
        self.tab_until(&condition, &format!("data-testid={testid}"), back).await;
    }

    /// Presses Tab (or Shift+Tab when `back`) until the focused element `e` satisfies `condition` (a JavaScript
    /// expression); fails after 60 presses, naming `what` it looked for and what got the focus on the way.
    pub async fn tab_until(&self, condition: &str, what: &str, back: bool) {
        let probe = format!("const e = document.activeElement; return !!e && e !== document.body && ({condition});");
        let mut seen = Vec::new();
        for _ in 0..60 {
            if self.client.execute(&probe, vec![]).await.expect("probe the focus") == serde_json::Value::Bool(true) {
                return;
            }
            seen.push(self.focused().await);
            if back {
                let (shift, tab) = (char::from(Key::Shift), char::from(Key::Tab));
                let actions = KeyActions::new("keyboard".into())
                    .then(KeyAction::Down { value: shift })
                    .then(KeyAction::Down { value: tab })
                    .then(KeyAction::Up { value: tab })
                    .then(KeyAction::Up { value: shift });
                self.client.perform_actions(actions).await.expect("press Shift+Tab");
            } else {
                self.press(Key::Tab).await;
            }
        }
        panic!("Tab never reached {what}; the focus went through {seen:?}");
    }

    /// Waits until the element with this `data-testid` has the focus (a hang fails after [`PATIENCE`]).
    pub async fn wait_focus(&self, testid: &str) {
        let start = Instant::now();
        loop {
            let now = self.focused().await;
            if now == testid {
                return;
            }
            assert!(start.elapsed() < PATIENCE, "data-testid={testid} never got the focus (it is on {now})");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Emulates the system's colour scheme (`light` or `dark`) for `prefers-color-scheme` (Chromium's DevTools
    /// protocol, through chromedriver).
    pub async fn color_scheme(&self, scheme: &str) {
        let params = serde_json::json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] });
        self.client
            .issue_cmd(Cdp { cmd: "Emulation.setEmulatedMedia", params })
            .await
            .expect("emulate prefers-color-scheme");
    }

    /// Emulates a CSS media type (`print`, `screen`; empty: none) for `@media` rules (DevTools protocol).
    pub async fn media(&self, media: &str) {
        let params = serde_json::json!({ "media": media });
        self.client.issue_cmd(Cdp { cmd: "Emulation.setEmulatedMedia", params }).await.expect("emulate a media type");
    }

    /// Waits for a finished download named `name` (a hang fails after [`PATIENCE`]) and returns its path.
    pub async fn download(&self, name: &str) -> PathBuf {
        let path = self.downloads.0.join(name);
        let start = Instant::now();
        while start.elapsed() < PATIENCE {
            if path.exists() && std::fs::metadata(&path).map(|m| m.len() > 0).unwrap_or(false) {
                return path;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no download {name} within {PATIENCE:?}");
    }

    /// Closes the session and stops chromedriver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A failed test never reaches `close`: stop chromedriver and the Chromium it started (found by its profile).
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = Command::new("pkill").arg("-f").arg(format!("user-data-dir={}", self._profile.0.display())).status();
    }
}

/// A log sink shared with the test: everything the in-process relay logs (at debug level) lands here, so a test
/// can search it for secrets.
#[derive(Clone, Default)]
pub struct CapturedLogs(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    /// Installs a global subscriber writing every event at debug level and above into the returned sink.
    pub fn install() -> CapturedLogs {
        let logs = CapturedLogs::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        logs
    }

    /// The text logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// A relay running in-process on an ephemeral loopback port.
pub struct RunningRelay {
    /// Its address.
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl RunningRelay {
    /// The demo as `scripts/run` serves it, for a browser test: the relay serving the built app and forwarding to
    /// the simulated venues of `sandbox` (whose files are written to `dir`), from egress IP 127.0.0.2.
    pub async fn serving_demo(sandbox: &simvenues::sandbox::Sandbox, dir: &TempDir) -> RunningRelay {
        RunningRelay::serving_demo_from(sandbox, dir, &built_static_dir()).await
    }

    /// [`RunningRelay::serving_demo`], serving the app from `static_dir` (a copy of the built one, changed by the
    /// test).
    pub async fn serving_demo_from(
        sandbox: &simvenues::sandbox::Sandbox,
        dir: &TempDir,
        static_dir: &Path,
    ) -> RunningRelay {
        sandbox.write_dir(&dir.0).expect("write the sandbox's files");
        let (app, venues) = (static_dir.to_str().expect("a UTF-8 path"), dir.0.to_str().expect("a UTF-8 path"));
        // the demo operator key signs the egress IPs (scripts/lib.sh): the bundle is built with its public key
        let key = workspace_root().join("scripts/demo-relay-ips.key");
        let key = key.to_str().expect("a UTF-8 path");
        RunningRelay::start(&["--static", app, "--sandbox", venues, "--egress", "127.0.0.2", "--ips-signing-key", key])
            .await
    }

    /// Starts the relay with these command-line arguments (`--listen` is added: 127.0.0.1, ephemeral port).
    pub async fn start(args: &[&str]) -> RunningRelay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let addr = listener.local_addr().unwrap();
        let mut argv: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        argv.extend(["--listen".to_string(), addr.to_string()]);
        let args = relay::Args::from_argv(argv).unwrap_or_else(|e| panic!("relay arguments: {e}"));
        let config = args.resolve(|_| None).expect("relay config");
        let relay = relay::Relay::new(config).expect("relay");
        let router = relay::app(relay.clone());
        let task = tokio::spawn(relay::serve(listener, relay, router, std::future::pending()));
        RunningRelay { addr, task }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RunningRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// chromedriver's `POST /session/{id}/chromium/network_conditions`.
#[derive(Debug)]
struct NetworkConditions {
    latency_ms: u64,
    bytes_per_s: u64,
}

impl fantoccini::wd::WebDriverCompatibleCommand for NetworkConditions {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/chromium/network_conditions", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let conditions = serde_json::json!({ "network_conditions": {
            "offline": false,
            "latency": self.latency_ms,
            "download_throughput": self.bytes_per_s,
            "upload_throughput": self.bytes_per_s,
        }});
        (http::Method::POST, Some(conditions.to_string()))
    }
}

/// chromedriver's `POST /session/{id}/goog/cdp/execute`: one command of Chromium's DevTools protocol.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Waits until `value` gives something (polled every 100 ms), at most [`PATIENCE`]: only a hang reaches that.
pub async fn wait_for<T, F: std::future::Future<Output = Option<T>>>(what: &str, value: impl Fn() -> F) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = value().await {
            return v;
        }
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Fills the connect form with a simulated key and sends it.
pub async fn connect(b: &Browser, venue: catalogue::Venue, label: &str, key: &simvenues::keys::DemoKey) {
    let option = format!("[data-testid='venue'] option[value='{}']", venue.as_str());
    b.client.find(Locator::Css(&option)).await.unwrap().click().await.unwrap();
    b.fill("label", label).await;
    b.fill("api-key", &key.api_key).await;
    b.fill("api-secret", key.secret.expose()).await;
    if venue == catalogue::Venue::Bitget {
        b.fill("api-passphrase", key.passphrase.expose()).await;
    }
    b.click_testid("connect").await;
}

/// Waits until no sync runs (the sync panel's `data-running` is `false`), however the sync ended; a hang fails after
/// [`SYNC_PATIENCE`].
pub async fn sync_ended(b: &Browser) {
    let start = Instant::now();
    loop {
        let panel = b.client.find(Locator::Css("[data-testid='sync-progress']")).await.ok();
        let running = match panel {
            Some(p) => p.attr("data-running").await.ok().flatten(),
            None => None,
        };
        if running.as_deref() == Some("false") {
            return;
        }
        assert!(start.elapsed() < SYNC_PATIENCE, "timed out waiting for the sync to end");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits for the running sync to end; a sync error fails the test with its text.
pub async fn sync_finished(b: &Browser) {
    sync_ended(b).await;
    let errors = b.client.find_all(Locator::Css("[data-testid='sync-error']")).await.unwrap();
    if let Some(e) = errors.first() {
        panic!("sync error: {}", e.text().await.unwrap());
    }
}

/// The dashboard's total equity as the page states it (`data-value`).
pub async fn equity(b: &Browser) -> String {
    b.click_testid("tab-dashboard").await;
    b.wait_testid("total-equity").await.attr("data-value").await.unwrap().unwrap()
}
