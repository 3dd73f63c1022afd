import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliAsync, type SpawnResult } from '../helpers/spawn.js';
import { count } from '../helpers/dump.js';

const WORKERS = 8;
const OPS = 50;
const SWEEPERS = 2;
let dir: string;
let db: string;
let env: Record<string, string>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-conc-'));
  db = join(dir, 'store.db');
  env = { ACCESSCTL_DB: db };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Each worker cycles through five mutations, each of which changes exactly one object and so
 * writes exactly one audit event: create an ephemeral group, delete it, add a temporary member to
 * its standing group, create a key, revoke that key.
 */
async function worker(w: number): Promise<SpawnResult[]> {
  const results: SpawnResult[] = [];
  let lastKey = '';
  for (let i = 0; i < OPS; i++) {
    let r: SpawnResult;
    switch (i % 5) {
      case 0:
        r = await cliAsync(['group', 'create', '-g', `w${w}-e${i}`, '-u', `u${w}@example.com`, '-r', 'db', '--ttl', '2h'], { env });
        break;
      case 1:
        r = await cliAsync(['group', 'delete', '-i', `w${w}-e${i - 1}`], { env });
        break;
      case 2:
        // Hours, not minutes: on a slow machine the run can outlast a minutes-long TTL, and the
        // sweepers would then (rightly) remove memberships this test counts as standing.
        r = await cliAsync(['group', 'add-users', '-g', `standing-${w}`, '-u', `u${(w + i) % WORKERS}@example.com`, '--ttl', `${i + 1}h`], { env });
        break;
      case 3:
        r = await cliAsync(['-q', 'key', 'create', '-i', `svc-${w}`, '-n', `k${i}`], { env });
        lastKey = (await cliAsync(['-q', 'key', 'list', '--service', `svc-${w}`, '--status', 'ACTIVE'], { env })).stdout.trim();
        break;
      default:
        r = await cliAsync(['key', 'revoke', '-i', lastKey], { env });
    }
    results.push(r);
  }
  return results;
}

async function sweeper(stop: () => boolean): Promise<{ results: SpawnResult[]; removed: number }> {
  const results: SpawnResult[] = [];
  let removed = 0;
  while (!stop()) {
    const r = await cliAsync(['-f', 'json', 'sweep'], { env });
    results.push(r);
    if (r.code === 0) removed += JSON.parse(r.stdout).length;
  }
  return { results, removed };
}

describe('8 writers and 2 sweepers on one store', () => {
  it('every process exits 0, the final state is exact, one audit event per change, the chain verifies', async () => {
    // A test store: ACCESSCTL_NOW may backdate its writes (the groups that expired long ago).
    expect(cli(['db', 'init', '--allow-clock-override'], { env }).code).toBe(0);
    for (let w = 0; w < WORKERS; w++) {
      cli(['user', 'create', '-e', `u${w}@example.com`], { env });
      cli(['service', 'create', '-n', `svc-${w}`], { env });
      cli(['group', 'create', '-g', `standing-${w}`], { env });
    }
    cli(['resource', 'create', '-n', 'db', '-a', 'db.internal'], { env });
    // 40 groups that expired long ago, with members: work for the sweepers
    const past = { ...env, ACCESSCTL_NOW: '2020-01-01T00:00:00Z' };
    for (let g = 0; g < 40; g++) cli(['group', 'create', '-g', `old-${g}`, '-u', `u${g % WORKERS}@example.com`, '--ttl', '1h'], { env: past });
    const setupEvents = count(db, 'select count(*) from audit_events');

    const started = Date.now();
    let done = false;
    const sweepers = Array.from({ length: SWEEPERS }, () => sweeper(() => done));
    const workers = await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    done = true;
    const swept = await Promise.all(sweepers);
    const seconds = (Date.now() - started) / 1000;

    const all = [...workers.flat(), ...swept.flatMap((s) => s.results)];
    const failures = all.filter((r) => r.code !== 0);
    expect(failures.map((f) => f.stderr)).toEqual([]);
    const sweepRuns = swept.reduce((n, s) => n + s.results.length, 0);
    const removedBySweeps = swept.reduce((n, s) => n + s.removed, 0);

    // The 40 expired groups were removed exactly once between all sweeps.
    expect(removedBySweeps).toBe(40);
    expect(count(db, "select count(*) from groups where name like 'old-%'")).toBe(0);
    // Ephemeral groups: 10 created and 10 deleted per worker.
    expect(count(db, "select count(*) from groups where name like 'w%-e%'")).toBe(0);
    // Keys: 10 created per service, every one revoked.
    expect(count(db, 'select count(*) from service_keys')).toBe(WORKERS * 10);
    expect(count(db, 'select count(*) from service_keys where revoked_at is null')).toBe(0);
    // Memberships of the standing groups: each worker re-timed users (w+i)%8 for i = 2,7,…,47.
    expect(count(db, "select count(*) from group_users gu join groups g on g.id = gu.group_id where g.name like 'standing-%'")).toBe(
      Array.from({ length: WORKERS }, (_, w) => new Set(Array.from({ length: 10 }, (_, k) => (w + 2 + 5 * k) % WORKERS)).size).reduce((a, b) => a + b, 0),
    );
    const changes = WORKERS * OPS + 40;
    expect(count(db, 'select count(*) from audit_events') - setupEvents).toBe(changes);
    expect(count(db, "select count(*) from audit_events where action like 'sweep.%'")).toBe(40);
    expect(cli(['audit', 'verify'], { env }).code).toBe(0);
    console.log(
      `[figure] concurrency: ${WORKERS} writers x ${OPS} mutations + ${SWEEPERS} sweepers (${sweepRuns} sweep runs) = ${all.length} processes in ${seconds.toFixed(1)} s; 0 failures; ${changes} changes, ${changes} audit events; chain verifies`,
    );
  }, 600_000);
});
