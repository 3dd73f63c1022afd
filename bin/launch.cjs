'use strict';
// Loads dist/accessctl.cjs with the V8 code cache recorded at build time (dist/accessctl.cjs.cache).
// A cache from another Node version is rejected by V8 and the bundle simply compiles as usual.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

function load(cacheOut) {
  const file = path.join(__dirname, '..', 'dist', 'accessctl.cjs');
  // The bundle is ASCII (esbuild escapes the rest), so latin1 reads it without UTF-8 decoding.
  const source = fs.readFileSync(file, 'latin1');
  let cachedData;
  if (!cacheOut) {
    try {
      cachedData = fs.readFileSync(`${file}.cache`);
    } catch {
      cachedData = undefined;
    }
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, Module.createRequire(file), module, file, path.dirname(file));
  return { exports: module.exports, script };
}

/** Global options that take a value (as src/cli/program.ts): skipped to find the noun and verb. */
const VALUE_FLAGS = new Set(['-s', '--session', '--db', '-f', '--format', '--columns', '--actor']);
/** noun verb → V8 flags: the commands that stream a whole store. */
const HEAVY = new Map([
  ['audit list', ['--max-semi-space-size=2']],
  ['user import', ['--max-semi-space-size=2']],
  ['resource import', ['--max-semi-space-size=2']],
]);

function heapFlags(args) {
  const words = [];
  for (let i = 0; i < args.length && words.length < 2; i++) {
    if (args[i].startsWith('-')) i += VALUE_FLAGS.has(args[i]) ? 1 : 0;
    else words.push(args[i]);
  }
  return HEAVY.get(words.join(' ')) || [];
}

/**
 * The command line without its `--db` (which may carry a password), and the store it named: the
 * child gets the store through ACCESSCTL_DB in its environment, which other users cannot read,
 * where its argv is visible to anyone running `ps`.
 */
function storeToEnv(args) {
  const rest = [];
  let db;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (a === '--db' && i + 1 < args.length) db = args[++i];
    else if (a.startsWith('--db=')) db = a.slice(5);
    else {
      rest.push(a);
      if (VALUE_FLAGS.has(a) && i + 1 < args.length) rest.push(args[++i]);
    }
  }
  // Only a PostgreSQL URL carries a secret; with --session too the child reports the clash itself.
  const session = rest.some((a) => a === '-s' || a === '--session' || a.startsWith('--session='));
  if (db === undefined || !/^postgres(ql)?:\/\//i.test(db) || session) return { args, env: process.env };
  return { args: rest, env: { ...process.env, ACCESSCTL_DB: db } };
}

/** Runs this same command line again in a Node started with `flags`; its exit is ours. */
function rerun(flags, parentArgs) {
  const { spawnSync } = require('node:child_process');
  const { args, env } = storeToEnv(parentArgs);
  const r = spawnSync(process.execPath, [...process.execArgv, ...flags, path.join(__dirname, 'accessctl'), ...args], { stdio: 'inherit', env });
  if (r.signal) process.kill(process.pid, r.signal);
  process.exitCode = r.status === null ? 1 : r.status;
}

module.exports = { load, heapFlags, rerun, storeToEnv };
