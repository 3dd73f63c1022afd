import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { run } from '../../src/cli/main.js';
import type { Prompter } from '../../src/cli/context.js';
import { sequentialIds, type IdGenerator } from '../../src/domain/ids.js';
import { fixedClock, parseTimestamp, type Clock } from '../../src/domain/time.js';
import { inject } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { createDatabase, dropDatabase, psql } from './pg-cluster.js';

/** The store the command-level suites run on: vitest's "postgres" project sets it (vitest.config.ts). */
export const DIALECT: 'sqlite' | 'postgres' = process.env.ACCESSCTL_TEST_DIALECT === 'postgres' ? 'postgres' : 'sqlite';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Harness {
  dir: string;
  /** The store: a SQLite file, or on the PostgreSQL leg the URL of a database of its own. */
  db: string;
  dialect: 'sqlite' | 'postgres';
  /** The instant commands see; tests move it instead of sleeping. */
  now: number;
  setNow(iso: string): void;
  advance(ms: number): void;
  /**
   * Runs one command line. The fixed clock is an override, as ACCESSCTL_NOW is; `wallClock`
   * makes it the machine's own time instead (for what only a real clock does: lastUsedAt).
   */
  run(argv: string[], opts?: { stdin?: string; env?: Record<string, string>; prompter?: Prompter; tty?: boolean; wallClock?: boolean }): Promise<RunResult>;
  /** Runs and expects exit 0; returns stdout. */
  ok(argv: string[], opts?: { stdin?: string }): Promise<string>;
  /** Runs with -q and returns the single id printed. */
  id(argv: string[]): Promise<string>;
  json<T = Record<string, unknown>>(argv: string[], opts?: { stdin?: string }): Promise<T[]>;
  /** Runs SQL on the store behind accessctl's back (tampering tests), on either dialect. */
  sql(statement: string): void;
  cleanup(): void;
}

export const T0 = '2026-11-22T23:00:00.000Z';

/**
 * A command-level fixture: a real store (a file in a temp dir, or a PostgreSQL database), a fixed clock and predictable ids.
 * The fixed clock is a clock override, so the store opts in first, as a sandbox would: `db init
 * --allow-clock-override` with the machine's clock (one audited config.set, actor "fixture").
 * `{ allowClockOverride: false }` leaves the store to be created by the test, refusing overrides.
 */
export function harness(options: { allowClockOverride?: boolean } = {}): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'accessctl-test-'));
  const db = DIALECT === 'postgres' ? createDatabase(inject('pgUrl')) : join(dir, 'store.db');
  const ids: IdGenerator = sequentialIds();
  let ready: Promise<void> | null = options.allowClockOverride === false ? Promise.resolve() : null;
  const setup = async () => {
    // Its own ids ("evt_fixture…"), so the ids a test predicts are the same as without it.
    const own = sequentialIds();
    const fixtureIds: IdGenerator = { id: (kind) => own.id(kind).replace(/_0{7}/, '_fixture'), secret: own.secret };
    const { code, stderr } = await runCli(['--db', db, '--actor', 'fixture', 'db', 'init', '--allow-clock-override'], {}, fixedClock(parseTimestamp(T0), false), fixtureIds);
    if (code !== 0) throw new Error(`fixture store setup failed (${code}): ${stderr}`);
  };
  const runCli = async (argv: string[], opts: Parameters<Harness['run']>[1] & object, clock: Clock, runIds = ids): Promise<RunResult> => {
    let stdout = '';
    let stderr = '';
    const tty = opts.tty ?? false;
    const code = await run(argv, {
      io: {
        stdout: { write: (s) => void (stdout += s) },
        stderr: { write: (s) => void (stderr += s) },
        stdin: Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]),
        stdinIsTTY: tty,
        stdoutIsTTY: tty,
        stderrIsTTY: tty,
      },
      env: { ...opts.env },
      clock,
      ids: runIds,
      ...(opts.prompter ? { prompter: opts.prompter } : {}),
    });
    return { code, stdout, stderr };
  };
  const h: Harness = {
    dir,
    db,
    dialect: DIALECT,
    now: parseTimestamp(T0),
    setNow(iso) {
      h.now = parseTimestamp(iso);
    },
    advance(ms) {
      h.now += ms;
    },
    async run(argv, opts = {}) {
      await (ready ??= setup());
      return runCli(['--db', db, '--actor', 'tester', ...argv], opts, fixedClock(h.now, !opts.wallClock));
    },
    async ok(argv, opts) {
      const r = await h.run(argv, opts);
      if (r.code !== 0) throw new Error(`expected exit 0 from ${argv.join(' ')}, got ${r.code}: ${r.stderr}`);
      return r.stdout;
    },
    async id(argv) {
      return (await h.ok(['-q', ...argv])).trim();
    },
    async json(argv, opts) {
      return JSON.parse(await h.ok(['-f', 'json', ...argv], opts));
    },
    sql(statement) {
      if (DIALECT === 'postgres') {
        psql(db, statement);
        return;
      }
      const raw = new BetterSqlite3(db);
      try {
        raw.exec(statement);
      } finally {
        raw.close();
      }
    },
    cleanup() {
      if (DIALECT === 'postgres') dropDatabase(db);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

function quietParts(now: number, ids: IdGenerator) {
  const sink = { write: () => {} };
  return { io: { stdout: sink, stderr: sink, stdin: Readable.from([]), stdinIsTTY: false, stdoutIsTTY: false, stderrIsTTY: false }, env: {}, clock: fixedClock(now), ids };
}

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
export const DAY = 86_400_000;
