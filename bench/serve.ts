/**
 * The resident gate's figures (docs/gates.md): `access check --socket` per call, against `node -e 0`
 * as the single calls are; and requests per second through `accessctl serve` with 8 clients
 * at once, against the batch's raw driver loop answering the same requests in one process.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Measured } from './measure.js';

export interface ServeBench {
  dialect: 'sqlite' | 'postgres';
  store: string;
  dir: string;
  node: string;
  bin: string;
  now: string;
  pairs: number;
  heavyPairs: number;
  /** The request file of the batch figure, and its raw loop (a script taking the store). */
  requests: string;
  count: number;
  raw: string;
  /** A user and resource the fixture allows. */
  allowed: { user: string; resource: string };
  measure: (command: string[], opts?: { stdinFile?: string; okCodes?: number[]; env?: Record<string, string | undefined> }) => Measured;
  interleaved: (pairs: number, base: () => Measured, ours: () => Measured) => { base: Measured; ours: Measured };
  script: (name: string, body: string) => string;
  record: (figure: string, m: { base: Measured; ours: Measured }, target: number | null, extra?: string) => void;
}

/** A client that splits the request file over 8 connections, sends them all, and reads every answer. */
const CLIENTS = String.raw`
const net = require('node:net');
const lines = require('node:fs').readFileSync(process.argv[3], 'utf8').trim().split('\n');
const N = 8;
let pending = N;
for (let c = 0; c < N; c++) {
  const mine = lines.filter((_, i) => i % N === c);
  const s = net.createConnection(process.argv[2]);
  let seen = 0;
  s.setEncoding('utf8');
  s.on('connect', () => s.end(mine.join('\n') + '\n'));
  s.on('data', (d) => { for (const ch of d) if (ch === '\n') seen++; });
  s.on('end', () => {
    if (seen !== mine.length) { console.error('client ' + c + ': ' + seen + ' of ' + mine.length + ' answers'); process.exit(1); }
    if (--pending === 0) process.exit(0);
  });
  s.on('error', (e) => { console.error(String(e)); process.exit(1); });
}
`;

export async function serveFigures(b: ServeBench): Promise<void> {
  const socket = join(b.dir, `gate-${b.dialect}.sock`);
  const gate = spawn(b.node, [b.bin, 'serve', '--socket', socket], { env: { PATH: process.env.PATH ?? '', ACCESSCTL_DB: b.store, ACCESSCTL_NOW: b.now }, stdio: ['ignore', 'ignore', 'pipe'] });
  // A bench stopped by a signal exits at once: the gate goes with it.
  const orphan = () => gate.kill('SIGKILL');
  process.once('exit', orphan);
  let log = '';
  await new Promise<void>((ready, fail) => {
    gate.stderr.on('data', (d) => {
      log += d;
      if (log.includes('listening on')) ready();
    });
    gate.once('close', (code) => fail(new Error(`serve exited ${code}: ${log}`)));
  });
  try {
    const ask = [b.node, b.bin, '-f', 'csv', 'access', 'check', '--socket', socket, '--user', b.allowed.user, '-r', b.allowed.resource];
    // The asking side has no clock to pin (it refuses ACCESSCTL_NOW): the gate's is pinned.
    const one = b.interleaved(b.pairs, () => b.measure([b.node, '-e', '0']), () => b.measure(ask, { env: { ACCESSCTL_NOW: undefined } }));
    b.record('one call: -f csv access check --socket vs node -e 0', one, b.dialect === 'sqlite' ? 1.5 : 2.5);
    const clients = b.script('serve-clients', CLIENTS);
    const m = b.interleaved(b.heavyPairs, () => b.measure([b.node, b.raw, b.store], { stdinFile: b.requests }), () => b.measure([b.node, clients, socket, b.requests]));
    const rate = (ms: number) => `${Math.round(b.count / (ms / 1000)).toLocaleString('en-US')} req/s`;
    b.record(`serve, 8 clients, ${b.count.toLocaleString('en-US')} mixed requests (raw loop: ${rate(m.base.ms)})`, m, 2, rate(m.ours.ms));
  } finally {
    process.off('exit', orphan);
    gate.kill('SIGTERM');
    await new Promise((done) => gate.once('close', done));
  }
}
