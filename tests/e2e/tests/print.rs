//! The print stylesheet (`static/report.css`, docs/accounting.md §3c): printing the page gives the report alone.
//! Screenshot-free: the page served by the relay links the stylesheet, and under the print media type the
//! navigation, the sync panel and every control are hidden while the report, its header and its rows stay, and a
//! disposal with its lots is kept whole on one page.

use e2e::{Browser, RunningRelay, workspace_root};

/// The computed `display` (and `break-inside`) of the elements the tracker renders, with the same classes.
const PROBE: &str = r#"
    const html = `<main class="shell"><header class="topbar"><h1 class="brand">Meetcrypt</h1>
        <button data-testid="lock">Lock</button></header>
      <div class="tabbar"><div class="tabs" role="tablist"><button role="tab">Gains</button></div></div>
      <section class="card sync-panel">sync</section>
      <section class="card gains-report"><header class="report-header"><dl class="report-meta"><div><dt>Period</dt>
        <dd id="p-period">All time</dd></div></dl></header>
        <div class="report-actions no-print"><select><option>one-year</option></select>
          <button id="p-download">Download CSV</button></div></section>
      <section class="card gains-disposals"><nav class="pager no-print">pages</nav>
        <table class="table gains-table"><tbody class="disposal" id="p-disposal"><tr><td>row</td></tr></tbody></table>
      </section></main>`;
    let probe = document.getElementById('print-probe');
    if (!probe) {
        probe = document.createElement('div');
        probe.id = 'print-probe';
        document.body.append(probe);
    }
    probe.innerHTML = html;
    const display = s => getComputedStyle(probe.querySelector(s)).display;
    return {
        linked: [...document.styleSheets].some(x => (x.href || '').endsWith('/report.css')),
        tabbar: display('.tabbar'), tab: display('[role="tab"]'), sync: display('.sync-panel'),
        lock: display('[data-testid="lock"]'), actions: display('.report-actions'), download: display('#p-download'),
        pager: display('.pager'), report: display('.gains-report'), period: display('#p-period'),
        rows: display('#p-disposal'), keep: getComputedStyle(probe.querySelector('#p-disposal')).breakInside,
    };
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printing_hides_navigation_and_controls_and_keeps_the_report() {
    // the page and its stylesheets only: the wasm bundle is not needed to apply CSS
    let dir = workspace_root().join("static");
    let relay = RunningRelay::start(&["--static", dir.to_str().unwrap()]).await;
    let browser = Browser::start().await;
    browser.client.goto(&relay.url()).await.expect("open the app");
    let probe = || async {
        let v = browser.client.execute(PROBE, vec![]).await.expect("probe the styles");
        serde_json::from_value::<serde_json::Map<String, serde_json::Value>>(v).expect("an object")
    };
    let on_screen = probe().await;
    assert_eq!(on_screen["linked"], true, "index.html links report.css: {on_screen:?}");
    for shown in ["tabbar", "tab", "lock", "actions", "download", "pager", "report"] {
        assert_ne!(on_screen[shown], "none", "{shown} is shown on screen: {on_screen:?}");
    }
    browser.media("print").await;
    let printed = probe().await;
    for hidden in ["tabbar", "tab", "sync", "lock", "actions", "download", "pager"] {
        assert_eq!(printed[hidden], "none", "{hidden} is hidden in print: {printed:?}");
    }
    for kept in ["report", "period", "rows"] {
        assert_ne!(printed[kept], "none", "{kept} is printed: {printed:?}");
    }
    assert_eq!(printed["keep"], "avoid", "a disposal and its lots are not cut across pages: {printed:?}");
    browser.close().await;
}
