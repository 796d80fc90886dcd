// Times the wasm recompute: node wasm_bench.js DIR_OF_WASM_BINDGEN_OUTPUT [N]
const path = require('path');
const dir = path.resolve(process.argv[2] || '/tmp/wasm-bench');
const n = Number(process.argv[3] || 1000000);
const m = require(path.join(dir, 'wasm_bench.js'));
let t = performance.now();
const len = m.prepare(n);
const generated = (performance.now() - t) / 1000;
t = performance.now();
const cpu0 = process.cpuUsage();
const disposals = m.run();
const took = (performance.now() - t) / 1000;
const cpu = process.cpuUsage(cpu0);
const digest = m.digest();
console.log(`events: ${len}, generated in ${generated.toFixed(3)} s`);
console.log(`wasm fifo recompute: ${took.toFixed(3)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(3)} s CPU (node process), ${disposals} disposals`);
console.log(`report digest ${digest}`);
console.log(`peak RSS of node: ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MB`);
