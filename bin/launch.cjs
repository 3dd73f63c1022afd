'use strict';
// Loads dist/accessctl.cjs with a V8 code cache that fits the Node running it. A cache holds
// compiled code for one V8 version, CPU and set of V8 flags: the build records one for the Node
// that built it (dist/accessctl.cjs.<key>.cache); any other Node records its own on first use, in
// the user's cache directory, and uses it from the second call on. Never one shared between versions.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const DIST = path.join(__dirname, '..', 'dist');

/**
 * What a code cache fits: V8's version, the CPU and the flags of this process, those on its command
 * line and those NODE_OPTIONS gave it (process.execArgv leaves the latter out, yet V8 rejects a
 * cache recorded under other flags).
 */
function cacheKey(execArgv = process.execArgv, nodeOptions = process.env.NODE_OPTIONS) {
  const all = [...execArgv, ...(nodeOptions || '').split(/\s+/).filter((a) => a !== '')];
  const flags = all.length === 0 ? '' : `-${all.join('_')}`;
  return `${process.versions.v8}-${process.arch}${flags}`.replace(/[^A-Za-z0-9.=+-]+/g, '_').slice(0, 160);
}

/** The user's cache directory for code caches, or null where there is no absolute one. */
function userCacheDir(env = process.env) {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : env.HOME && path.isAbsolute(env.HOME) ? path.join(env.HOME, '.cache') : null;
  return base === null ? null : path.join(base, 'accessctl');
}

const euid = typeof process.geteuid === 'function' ? process.geteuid() : null;

/**
 * Compiled code runs as this user, so a cache is trusted only where no one else can have put it,
 * as sshd's safe_path judges: every directory from / down to the cache directory is a real
 * directory (no symlink), owned by root or this user, and writable by no one else (sticky ones,
 * such as /tmp, excepted); the cache directory itself by no one else at all. Under sudo with the
 * caller's HOME, the caller's home fails this for root, and nothing is read or written there.
 */
function safeCacheDir(dir) {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    const st = fs.lstatSync(d);
    if (!st.isDirectory() || (st.uid !== 0 && st.uid !== euid) || ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0)) return false;
    if (path.dirname(d) === d) break;
  }
  const own = fs.lstatSync(dir);
  return own.isDirectory() && (euid === null || own.uid === euid) && (own.mode & 0o022) === 0;
}

/** The file's bytes through one descriptor (never a symlink), if this user owns it and no one else can write it. */
function readPrivate(file) {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || (euid !== null && st.uid !== euid) || (st.mode & 0o022) !== 0) return undefined;
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** A cache file's name: the build's digest, then the key (cacheKey's characters). */
const CACHE_NAME = /^[0-9a-f]{16,64}\.[A-Za-z0-9.=+_-]+\.cache$/;

/**
 * This process's cache for the bundle (`chunk` null) or one of its chunks: the build's when it
 * fits, else the user's for this build; none if neither. A chunk has no cache in dist/: the code
 * it runs is compiled only on a call that uses it (pg's, once connected), so its cache is recorded
 * by that first call, for the user, and holds that code.
 */
function findCache(file, chunk = null) {
  const key = cacheKey();
  if (chunk === null) {
    try {
      return { data: fs.readFileSync(`${file}.${key}.cache`), save: null };
    } catch {
      // Not the Node (or the flags) that built the bundle.
    }
  }
  const dir = userCacheDir();
  let build;
  try {
    build = fs.readFileSync(path.join(DIST, 'accessctl.cjs.id'), 'latin1').trim();
  } catch {
    return { data: undefined, save: null };
  }
  if (dir === null || !/^[0-9a-f]{16,64}$/.test(build)) return { data: undefined, save: null };
  const own = path.join(dir, chunk === null ? `${build}.${key}.cache` : `${build}.${chunk}.${key}.cache`);
  try {
    if (safeCacheDir(dir)) return { data: readPrivate(own), save: own };
  } catch {
    // Not recorded yet: this call records it.
  }
  return { data: undefined, save: own };
}

/** Writes the code compiled so far to `file` (atomically, private to this user); a failure costs nothing. */
function saveCache(script, file) {
  const dir = path.dirname(file);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    if (!fs.existsSync(dir)) {
      // Made only where it would be trusted: under a parent that passes the same rule.
      const parent = fs.lstatSync(path.dirname(dir));
      if (!parent.isDirectory() || (euid !== null && parent.uid !== euid)) return;
      fs.mkdirSync(dir, { mode: 0o700 });
    }
    if (!safeCacheDir(dir)) return;
    // 'wx': a new file, never through a name that is already there.
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      fs.writeFileSync(fd, script.createCachedData());
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    // Caches of earlier builds are never read again.
    const build = path.basename(file).split('.')[0];
    for (const name of fs.readdirSync(dir)) if (CACHE_NAME.test(name) && !name.startsWith(`${build}.`)) fs.rmSync(path.join(dir, name), { force: true });
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * Loads the bundle. `cacheOut` (the build) compiles without a cache so that the caller can record
 * one; otherwise a missing or rejected cache is recorded when the process exits.
 */
function load(cacheOut) {
  const file = path.join(DIST, 'accessctl.cjs');
  return loadFile(file, cacheOut ? { data: undefined, save: null } : findCache(file));
}

const chunks = new Map();
/**
 * A chunk of the bundle that only some calls need (`pg`: PostgreSQL's driver, dist/pg.cjs), loaded
 * once, on first use, with its code cache as above. The bundle asks for it (scripts/build.mjs).
 */
function chunk(name) {
  if (!/^[a-z]+$/.test(name)) throw new Error(`no chunk ${name}`);
  let loaded = chunks.get(name);
  if (loaded === undefined) {
    const file = path.join(DIST, `${name}.cjs`);
    loaded = loadFile(file, findCache(file, name)).exports;
    chunks.set(name, loaded);
  }
  return loaded;
}

function loadFile(file, cache) {
  // The bundle is ASCII (esbuild escapes the rest), so latin1 reads it without UTF-8 decoding.
  const source = fs.readFileSync(file, 'latin1');
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData: cache.data });
  if (cache.save !== null && (cache.data === undefined || script.cachedDataRejected)) {
    const save = cache.save;
    process.once('exit', () => saveCache(script, save));
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, Module.createRequire(file), module, file, path.dirname(file));
  return { exports: module.exports, script };
}

/** Global options that take a value (as src/cli/program.ts): skipped to find the noun and verb. */
const VALUE_FLAGS = new Set(['-s', '--session', '--db', '-f', '--format', '--columns', '--actor']);
/** Streams that hold little: a small young generation keeps their peak near their working set. */
const SMALL_YOUNG = ['--max-semi-space-size=2'];
/**
 * Commands that hold a replayed log (a few hundred MB at a million events) while they make a lot
 * of short-lived garbage: V8 would let the old generation grow to about four times what is live
 * before collecting it (940 MB for `access list --all --as-of` holding 200 MB); growing it by a
 * fifth keeps the peak near what is live, at no cost in time here (docs/performance.md).
 */
const SLOW_GROWTH = ['--heap-growing-percent=20'];
/** noun verb → V8 flags: the commands that stream or replay a whole store. */
const HEAVY = new Map([
  ['audit list', SMALL_YOUNG],
  ['user import', SMALL_YOUNG],
  ['resource import', SMALL_YOUNG],
  ['db check', SLOW_GROWTH],
  ['access diff', SLOW_GROWTH],
]);
/** noun verb → the options that make it stream or replay a whole store, and their V8 flags (the first in this list that the call gives decides). */
const HEAVY_WITH = new Map([
  [
    'access list',
    [
      ['--as-of', SLOW_GROWTH],
      ['--all', SMALL_YOUNG],
    ],
  ],
]);

function heapFlags(args) {
  const words = [];
  for (let i = 0; i < args.length && words.length < 2; i++) {
    const a = args[i];
    // Short flags together (`-qs prod`) take a value when the last of them does.
    if (a.startsWith('-')) i += VALUE_FLAGS.has(a) || (/^-[A-Za-z]{2,}$/.test(a) && VALUE_FLAGS.has(`-${a.slice(-1)}`)) ? 1 : 0;
    else words.push(a);
  }
  const command = words.join(' ');
  for (const [option, flags] of HEAVY_WITH.get(command) || []) if (args.some((a) => a === option || a.startsWith(`${option}=`))) return flags;
  return HEAVY.get(command) || [];
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

/** The signals a supervisor (or `kill PID`) sends to end a command, passed on to the second Node. */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs this same command line again in a Node started with `flags`; its exit is ours, and a
 * signal sent to this process reaches it (it would otherwise run on, orphaned, when only this
 * process is signalled).
 */
function rerun(flags, parentArgs) {
  const { spawn } = require('node:child_process');
  const { args, env } = storeToEnv(parentArgs);
  const child = spawn(process.execPath, [...process.execArgv, ...flags, path.join(__dirname, 'accessctl'), ...args], { stdio: 'inherit', env });
  const forward = (signal) => child.kill(signal);
  for (const s of FORWARDED) process.on(s, forward);
  child.on('error', (err) => {
    for (const s of FORWARDED) process.off(s, forward);
    process.stderr.write(`accessctl: could not start Node for this command (${err.message})\n`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    for (const s of FORWARDED) process.off(s, forward);
    process.exitCode = code !== null ? code : 128 + (require('node:os').constants.signals[signal] || 0);
    // Ended by a signal: so is this process (Node ignores SIGPIPE; the exit code says it then).
    if (signal) process.kill(process.pid, signal);
  });
}

module.exports = { load, chunk, heapFlags, rerun, storeToEnv, cacheKey };
