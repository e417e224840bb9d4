// Regenerates the API types from ../api/openapi.json into a temporary file and fails when
// src/api/schema.d.ts differs (run `npm run gen:api` and commit the result).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(join(tmpdir(), 'sw-api-'));
try {
  const out = join(tmp, 'schema.d.ts');
  execFileSync(process.execPath, [join(web, 'node_modules/openapi-typescript/bin/cli.js'), join(web, '../api/openapi.json'), '-o', out], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const fresh = readFileSync(out, 'utf8');
  const committed = readFileSync(join(web, 'src/api/schema.d.ts'), 'utf8');
  if (fresh !== committed) {
    const a = committed.split('\n');
    const b = fresh.split('\n');
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    console.error(`api drift: src/api/schema.d.ts is out of date with api/openapi.json (first difference at line ${i + 1}):`);
    console.error(`  committed: ${a[i] ?? '<end of file>'}`);
    console.error(`  generated: ${b[i] ?? '<end of file>'}`);
    console.error('run `npm run gen:api` in web/ and commit the result');
    process.exit(1);
  }
  console.log('api drift: src/api/schema.d.ts matches api/openapi.json');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
