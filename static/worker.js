// The PnL engine's worker: the same wasm module as the page, started in a dedicated module worker so that
// computing a report never blocks the page (see app/src/worker.rs). Jobs that arrive while the module and the
// engine's code load wait, in order.
const early = [];
self.onmessage = (event) => early.push(event);
const { default: init, serve_worker } = await import('./pkg/app.js');
await init({ module_or_path: new URL('./pkg/app_bg.wasm', import.meta.url) });
await serve_worker();
for (const event of early) self.onmessage(event);
