import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness } from '../helpers/harness.js';
import { BIN, cli } from '../helpers/spawn.js';
import { count, integrity } from '../helpers/dump.js';

const TRIALS = 20;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-crash-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small deterministic generator, so a failing trial can be replayed. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Run {
  killed: boolean;
  ms: number;
}

/** Starts the command and, unless it finishes first, kills it with SIGKILL after `delay` ms. */
function runAndKill(args: string[], db: string, delay: number | null): Promise<Run> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [BIN, '--db', db, ...args], { stdio: 'ignore', env: { PATH: process.env.PATH ?? '' } });
    let killed = false;
    const timer = delay === null ? null : setTimeout(() => ((killed = child.kill('SIGKILL')), undefined), delay);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ killed: killed && signal === 'SIGKILL', ms: Date.now() - started });
    });
  });
}

function removeStore(db: string) {
  for (const f of [db, `${db}-wal`, `${db}-shm`]) if (existsSync(f)) rmSync(f);
}

/**
 * Runs `TRIALS` kills at random moments of `args` against copies of `template`, and checks after
 * each that the store is sound and the operation happened entirely or not at all.
 */
async function crashTrials(name: string, template: string, args: string[], allOrNothing: (db: string) => 'all' | 'nothing' | string) {
  const full = join(dir, `${name}-full.db`);
  copyFileSync(template, full);
  const clean = await runAndKill(args, full, null);
  expect(allOrNothing(full)).toBe('all');
  const random = lcg(0x5eed + name.length);
  const outcomes = { all: 0, nothing: 0, killed: 0 };
  for (let trial = 0; trial < TRIALS; trial++) {
    const db = join(dir, `${name}-${trial}.db`);
    removeStore(db);
    copyFileSync(template, db);
    // Kill points spread over the whole run, start-up included: every phase gets hit.
    const delay = Math.round(20 + random() * clean.ms * 0.9);
    const run = await runAndKill(args, db, delay);
    if (run.killed) outcomes.killed++;
    expect(integrity(db), `trial ${trial} (kill at ${delay} ms)`).toBe('ok');
    const state = allOrNothing(db);
    expect(['all', 'nothing'], `trial ${trial} (kill at ${delay} ms): ${state}`).toContain(state);
    outcomes[state as 'all' | 'nothing']++;
    const check = cli(['--db', db, 'db', 'check']);
    expect(check.code, check.stderr).toBe(0);
    removeStore(db);
  }
  console.log(
    `[figure] crash ${name}: ${TRIALS} kill -9 trials over a ${clean.ms} ms operation, ${outcomes.killed} killed mid-run; integrity ok ${TRIALS}/${TRIALS}; all-or-nothing: ${outcomes.all} all, ${outcomes.nothing} nothing; audit chain verifies ${TRIALS}/${TRIALS}`,
  );
  expect(outcomes.killed).toBeGreaterThanOrEqual(TRIALS / 4);
}

describe('kill -9 at random moments', () => {
  it('during a 100,000-row import', async () => {
    const template = join(dir, 'import-template.db');
    expect(cli(['--db', template, 'db', 'init']).code).toBe(0);
    const csv = join(dir, 'users.csv');
    const lines = ['email,firstName,lastName,role'];
    for (let i = 0; i < 100_000; i++) lines.push(`crash${i}@example.com,C,${i},MEMBER`);
    writeFileSync(csv, `${lines.join('\n')}\n`);
    await crashTrials('import', template, ['-q', 'user', 'import', csv], (db) => {
      const users = count(db, 'select count(*) from users');
      const events = count(db, 'select count(*) from audit_events');
      if (users === 0 && events === 0) return 'nothing';
      if (users === 100_000 && events === 100_000) return 'all';
      return `partial: ${users} users, ${events} events`;
    });
  }, 900_000);

  it('during a large sweep', async () => {
    const h = harness();
    const users = Array.from({ length: 20 }, (_, i) => `s${i}@example.com`);
    await h.ok(['user', 'import', '-'], { stdin: `email\n${users.join('\n')}\n` });
    for (let g = 0; g < 1000; g++) await h.ok(['group', 'create', '-g', `expired-${g}`, '-u', users.join(','), '--ttl', '1h']);
    await h.ok(['group', 'create', '-g', 'standing']);
    for (const u of users) await h.ok(['group', 'add-users', '-g', 'standing', '-u', u, '--ttl', '30m']);
    const template = join(dir, 'sweep-template.db');
    copyFileSync(h.db, template);
    h.cleanup();
    const before = count(template, 'select count(*) from audit_events');
    await crashTrials('sweep', template, ['sweep'], (db) => {
      const groups = count(db, 'select count(*) from groups');
      const members = count(db, 'select count(*) from group_users');
      const events = count(db, 'select count(*) from audit_events') - before;
      if (groups === 1001 && members === 20_020 && events === 0) return 'nothing';
      if (groups === 1 && members === 0 && events === 1020) return 'all';
      return `partial: ${groups} groups, ${members} memberships, ${events} events`;
    });
  }, 900_000);

  it('during a service delete with many keys', async () => {
    const h = harness();
    await h.ok(['config', 'set', 'key.maxActivePerService', '1000']);
    await h.ok(['resource', 'create', '-n', 'db', '-a', 'db.internal']);
    await h.ok(['service', 'create', '-n', 'big', '-r', 'db']);
    for (let k = 0; k < 500; k++) await h.ok(['key', 'create', '-i', 'big']);
    const template = join(dir, 'service-template.db');
    copyFileSync(h.db, template);
    h.cleanup();
    const before = count(template, 'select count(*) from audit_events');
    await crashTrials('service-delete', template, ['service', 'delete', '-i', 'big'], (db) => {
      const services = count(db, 'select count(*) from services');
      const keys = count(db, 'select count(*) from service_keys');
      const events = count(db, 'select count(*) from audit_events') - before;
      if (services === 1 && keys === 500 && events === 0) return 'nothing';
      if (services === 0 && keys === 0 && events === 501) return 'all';
      return `partial: ${services} services, ${keys} keys, ${events} events`;
    });
  }, 900_000);
});
