// Bundles the CLI into one minified CommonJS file, then records V8's code cache for it, so that a
// call costs little more than starting Node: nothing is resolved, parsed or compiled twice.
// docs/performance.md says what each choice here saves.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkAddon } from './check-addon.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
// `--bench-only` bundles the benchmark alone: the test suite uses it so that other tests, which
// spawn the CLI at the same time, never see dist/ deleted and rebuilt under them.
const benchOnly = process.argv.includes('--bench-only');

/**
 * Node modules that cost milliseconds to load and that most calls never use: every import of
 * them becomes an object of getters that loads the module on first use. commander requires
 * child_process (and with it net) for executable subcommands accessctl does not have; crypto is
 * needed for tokens, ids and the audit chain, not for a read; stream/promises and readline (and
 * the stream machinery they bring) only for imports.
 */
const LAZY = ['crypto', 'child_process', 'net', 'stream/promises', 'readline'];
function lazyBuiltins() {
  const require = createRequire(import.meta.url);
  return {
    name: 'lazy-builtins',
    setup(b) {
      const filter = new RegExp(`^(node:)?(${LAZY.join('|')})$`);
      b.onResolve({ filter }, (args) => {
        const name = args.path.replace(/^node:/, '');
        if (args.namespace === 'lazy-builtin') return { path: `node:${name}`, external: true };
        return { path: name, namespace: 'lazy-builtin' };
      });
      b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
        const keys = Object.keys(require(`node:${args.path}`));
        return {
          loader: 'js',
          contents: `let m; const load = () => (m ??= require(${JSON.stringify(`node:${args.path}`)}));
for (const k of ${JSON.stringify(keys)}) Object.defineProperty(exports, k, { enumerable: true, get: () => load()[k] });`,
        };
      });
    },
  };
}

/** The modules of PostgreSQL's driver, bundled apart in dist/pg.cjs (pgChunk): a SQLite call never reads them. */
const PG_MODULES = { pg: 'pg', 'pg-cursor': 'Cursor', 'pg-connection-string': 'connectionString', pgpass: 'pgpass' };

/**
 * In the main bundle each of PG_MODULES is the matching export of dist/pg.cjs, which
 * bin/launch.cjs's chunk() loads on first use with a code cache of its own: from node_modules,
 * pg cost a PostgreSQL call about 30 ms of resolving, reading and compiling, every call.
 */
function pgChunk() {
  const filter = new RegExp(`^(${Object.keys(PG_MODULES).join('|')})$`);
  return {
    name: 'pg-chunk',
    setup(b) {
      b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'pg-chunk' }));
      b.onLoad({ filter: /.*/, namespace: 'pg-chunk' }, (args) => ({
        loader: 'js',
        contents: `module.exports = require(require('node:path').join(__dirname, '..', 'bin', 'launch.cjs')).chunk('pg')[${JSON.stringify(PG_MODULES[args.path])}];`,
      }));
    },
  };
}

/** The rows of sqlite_master that schema.sql creates, as src/store/sqlite/schema-digest.ts reads them (its SQLITE_OWN filter). */
function sqliteSchemaRows(require) {
  const Database = require('better-sqlite3');
  const mem = new Database(':memory:');
  try {
    mem.exec(readFileSync(join(root, 'schema.sql'), 'utf8'));
    const rows = mem.prepare("select type, name, tbl_name, sql from sqlite_master where not ((type = 'table' and name in ('sqlite_sequence', 'sqlite_stat1', 'sqlite_stat2', 'sqlite_stat3', 'sqlite_stat4')) or (type = 'index' and sql is null and substr(name, 1, 17) = 'sqlite_autoindex_'))").raw().all();
    const key = (r) => `${r[0]}\u0000${r[1]}`;
    return rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  } finally {
    mem.close();
  }
}

async function buildCli() {
  // The driver's compiled addon, as a path from dist/: opening a store need not search for it.
  const require = createRequire(import.meta.url);
  const addon = join(dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
  checkAddon(addon);
  rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
  await build({
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/accessctl.cjs',
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // `--no-minify` keeps names, for reading a CPU profile.
    minify: !process.argv.includes('--no-minify'),
    // What only some commands need (prompts, tables, CSV parsing, YAML) loads from node_modules on
    // first use instead of being parsed on every start; pg loads only for a postgres:// store.
    // better-sqlite3's JavaScript is bundled; its addon is loaded by path (nativeBinding).
    external: ['@inquirer/prompts', 'cli-table3', 'csv-parse', 'yaml', 'js-yaml'],
    plugins: [lazyBuiltins(), pgChunk()],
    charset: 'ascii',
    // import() of those becomes require(): the bundle runs as a classic script with a code cache.
    supported: { 'dynamic-import': false },
    // import.meta.url (used to find schema.sql) means the bundle's own location.
    define: {
      'import.meta.url': '__accessctlUrl',
      __ACCESSCTL_NATIVE_BINDING__: JSON.stringify(relative(join(root, 'dist'), addon)),
      // schema.sql's objects, so that opening a store compares them without building them first.
      __ACCESSCTL_SQLITE_SCHEMA__: JSON.stringify(sqliteSchemaRows(require)),
    },
    banner: { js: "const __accessctlUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  });
  await build({
    stdin: {
      contents: Object.entries(PG_MODULES).map(([m, name]) => `exports.${name} = require(${JSON.stringify(m)});`).join('\n'),
      resolveDir: root,
      loader: 'js',
    },
    outfile: 'dist/pg.cjs',
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minify: !process.argv.includes('--no-minify'),
    // pg's binding to libpq, which accessctl does not use.
    external: ['pg-native'],
    charset: 'ascii',
    logLevel: 'warning',
  });
  // Runs a few commands in-process and saves the compiled code; see scripts/warm-cache.cjs.
  // Without the builder's NODE_OPTIONS: the cache in dist/ is the one for a Node given no flags.
  execFileSync(process.execPath, [new URL('./warm-cache.cjs', import.meta.url).pathname], { stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: '' } });
}

/**
 * man/accessctl.1 from the command tree (src/cli/man-page.ts), bundled to a temporary file and
 * run once: the page lists exactly the commands, flags and examples the program has.
 */
async function buildManPage() {
  // Inside the checkout, so that the bundle's few external packages resolve from node_modules.
  const tmp = mkdtempSync(join(root, 'dist', '.man-'));
  try {
    const outfile = join(tmp, 'man.cjs');
    await build({
      stdin: { contents: "import { manPage } from './src/cli/man-page.ts'; process.stdout.write(manPage());", resolveDir: root, loader: 'ts' },
      outfile,
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      external: ['@inquirer/prompts', 'cli-table3', 'csv-parse', 'yaml', 'js-yaml', 'pg', 'pg-cursor', 'better-sqlite3'],
      define: { 'import.meta.url': '__manUrl' },
      banner: { js: `const __manUrl = require('node:url').pathToFileURL(${JSON.stringify(join(root, 'src', 'cli', 'man-page.ts'))}).href;` },
      logLevel: 'warning',
    });
    mkdirSync(join(root, 'man'), { recursive: true });
    writeFileSync(join(root, 'man', 'accessctl.1'), execFileSync(process.execPath, [outfile], { encoding: 'utf8', cwd: root }));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (!benchOnly) {
  await buildCli();
  await buildManPage();
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
