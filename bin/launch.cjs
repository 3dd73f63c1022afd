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

/** Runs this same command line again in a Node started with `flags`; its exit is ours. */
function rerun(flags, args) {
  const { spawnSync } = require('node:child_process');
  const r = spawnSync(process.execPath, [...process.execArgv, ...flags, path.join(__dirname, 'accessctl'), ...args], { stdio: 'inherit' });
  if (r.signal) process.kill(process.pid, r.signal);
  process.exitCode = r.status === null ? 1 : r.status;
}

module.exports = { load, heapFlags, rerun };
