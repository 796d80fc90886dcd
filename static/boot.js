// Loads the wasm bundle built into pkg/ (see scripts/build-app). Kept out of index.html so that the relay's
// Content-Security-Policy can forbid inline scripts.
import init from './pkg/app.js';

const boot = document.getElementById('boot');
try {
  await init({ module_or_path: new URL('./pkg/app_bg.wasm', import.meta.url) });
  boot?.remove();
} catch (err) {
  console.error('Meetcrypt failed to start', err);
  if (boot) {
    boot.textContent = 'Meetcrypt could not start: ' + err;
    boot.classList.add('boot-error');
    boot.dataset.testid = 'boot-error';
  }
}
