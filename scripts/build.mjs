// Bundles the CLI into one CommonJS file, then records V8's code cache for it, so that a call
// costs little more than starting Node: nothing is resolved, parsed or compiled twice.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

// `--bench-only` bundles the benchmark alone: the test suite uses it so that other tests, which
// spawn the CLI at the same time, never see dist/ deleted and rebuilt under them.
const benchOnly = process.argv.includes('--bench-only');
if (!benchOnly) await buildCli();

async function buildCli() {
  rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
  await build({
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/accessctl.cjs',
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // The native driver, and what only some commands need (prompts, tables, CSV), load from
    // node_modules on first use instead of being parsed on every start.
    // pg loads only for a postgres:// store.
    external: ['better-sqlite3', '@inquirer/prompts', 'cli-table3', 'csv-parse', 'csv-stringify', 'yaml', 'pg', 'pg-cursor'],
    charset: 'ascii',
    // import() of those becomes require(): the bundle runs as a classic script with a code cache.
    supported: { 'dynamic-import': false },
    // import.meta.url (used to find schema.sql) means the bundle's own location.
    define: { 'import.meta.url': '__accessctlUrl' },
    banner: { js: "const __accessctlUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  });
  // Runs a few commands in-process and saves the compiled code; see scripts/warm-cache.cjs.
  execFileSync(process.execPath, [new URL('./warm-cache.cjs', import.meta.url).pathname], { stdio: 'inherit' });
}

// The benchmark is bundled on its own, outside the CLI's dist/.
if (benchOnly || process.argv.includes('--bench')) {
  await build({
    entryPoints: ['bench/run.ts'],
    outfile: 'bench/dist/run.mjs',
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['better-sqlite3'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
  });
}
