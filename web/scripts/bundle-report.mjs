// Measures the JavaScript the first page loads (index.html's entry script and everything it
// imports statically, not lazy chunks), gzipped, and fails above the budget.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 150;
const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const html = readFileSync(join(dist, 'index.html'), 'utf8');

if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html)) fail('index.html has an inline <script>; the CSP forbids it');
if (/<style[\s>]/i.test(html) || /\sstyle=/i.test(html)) fail('index.html has inline styles; the CSP forbids them');

const entries = [...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)].map((m) => m[1]);
const preloads = [...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) => m[1]);
const css = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map((m) => m[1]);
if (entries.length === 0) fail('no entry script in index.html');

const seen = new Set();
const queue = [...entries, ...preloads].map((u) => u.replace(/^\//, ''));
while (queue.length) {
  const rel = queue.shift();
  if (seen.has(rel)) continue;
  seen.add(rel);
  const code = readFileSync(join(dist, rel), 'utf8');
  // Static imports only: `import ... from "./x.js"` and `import "./x.js"` (not `import("./x.js")`).
  for (const m of code.matchAll(/(?:^|[;\n}])\s*import\s*(?:[\w*{}\s,$]+from\s*)?["']([^"']+\.js)["']/g)) {
    queue.push(join(dirname(rel), m[1]).replace(/\\/g, '/'));
  }
}

const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
let jsRaw = 0;
let jsGz = 0;
console.log('first page JavaScript:');
for (const f of seen) {
  const raw = statSync(join(dist, f)).size;
  const g = gz(f);
  jsRaw += raw;
  jsGz += g;
  console.log(`  ${f.padEnd(40)} ${(raw / 1024).toFixed(1).padStart(7)} kB  ${(g / 1024).toFixed(1).padStart(6)} kB gz`);
}
let cssGz = 0;
for (const f of css) cssGz += gz(f.replace(/^\//, ''));
const all = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js'));
const lazy = all.filter((f) => !seen.has(`assets/${f}`));
console.log(`  total ${(jsRaw / 1024).toFixed(1)} kB, ${(jsGz / 1024).toFixed(1)} kB gzipped (budget ${BUDGET_KB} kB); CSS ${(cssGz / 1024).toFixed(1)} kB gzipped; ${lazy.length} lazy chunk(s)`);
console.log(`BUNDLE first-page-js-gzip-bytes=${jsGz}`);
if (jsGz > BUDGET_KB * 1024) fail(`first page JavaScript is ${(jsGz / 1024).toFixed(1)} kB gzipped, over the ${BUDGET_KB} kB budget`);

function fail(msg) {
  console.error(`bundle-report: ${msg}`);
  process.exit(1);
}
