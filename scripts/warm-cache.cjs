'use strict';
// Records V8's code cache for the bundle after running the commands scripts call most, so the
// functions they use are stored compiled. Writes dist/accessctl.cjs.cache.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Readable } = require('node:stream');
const { load } = require('../bin/launch.cjs');

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
];
(async () => {
  for (const argv of commands) await cli.run(['--db', db, ...argv], parts());
  fs.writeFileSync(path.join(__dirname, '..', 'dist', 'accessctl.cjs.cache'), script.createCachedData());
  fs.rmSync(dir, { recursive: true, force: true });
})().catch((err) => {
  console.error(`warm-cache: ${err.message}`);
  process.exitCode = 1;
});
