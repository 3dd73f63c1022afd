'use strict';
// Records V8's code cache for the bundle after running the commands scripts and people call most
// (tables included), so the functions they use are stored compiled. Writes
// dist/accessctl.cjs.<key>.cache for this Node (bin/launch.cjs's cacheKey) and dist/accessctl.cjs.id,
// the bundle's digest, which names the caches other Nodes record for themselves.
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Readable } = require('node:stream');
const { load, cacheKey } = require('../bin/launch.cjs');

const { exports: cli, script } = load(true);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accessctl-warm-'));
const db = path.join(dir, 'warm.db');
const sink = { write: () => {} };
const io = { stdout: sink, stderr: sink, stdin: Readable.from([]), stdinIsTTY: false, stdoutIsTTY: false, stderrIsTTY: false };
const parts = () => ({ io, env: {}, clock: { now: () => Date.parse('2026-11-22T23:00:00Z') }, ids: cli.randomIds() });
const commands = [
  ['user', 'create', '-e', 'warm@example.com'],
  ['resource', 'create', '-n', 'warm', '-a', 'warm.internal'],
  ['group', 'create', '-g', 'warm', '-u', 'warm@example.com', '-r', 'warm', '--ttl', '1h'],
  ['-f', 'csv', 'group', 'show', '-i', 'warm'],
  ['-f', 'json', 'access', 'check', '--user', 'warm@example.com', '-r', 'warm'],
  ['-f', 'ndjson', 'audit', 'list'],
  ['-q', 'user', 'list'],
  ['group', 'show', '-i', 'warm'],
  ['access', 'check', '--user', 'warm@example.com', '-r', 'warm'],
  ['user', 'list'],
];
(async () => {
  for (const argv of commands) await cli.run(['--db', db, ...argv], parts());
  const dist = path.join(__dirname, '..', 'dist');
  fs.writeFileSync(path.join(dist, `accessctl.cjs.${cacheKey([], '')}.cache`), script.createCachedData());
  // The build's digest covers its chunks too: a user's caches are recorded per build.
  const hash = crypto.createHash('sha256').update(fs.readFileSync(path.join(dist, 'accessctl.cjs')));
  const digest = hash.update(fs.readFileSync(path.join(dist, 'pg.cjs'))).digest('hex');
  fs.writeFileSync(path.join(dist, 'accessctl.cjs.id'), `${digest.slice(0, 32)}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
})().catch((err) => {
  console.error(`warm-cache: ${err.message}`);
  process.exitCode = 1;
});
