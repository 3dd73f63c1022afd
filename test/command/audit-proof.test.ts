import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY, harness, HOUR, MINUTE, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.cleanup());

/** SQL behind accessctl's back, on either dialect: `?` placeholders, rows as the driver gives them. */
interface RawDb {
  run(sql: string, ...params: unknown[]): Promise<void>;
  get<T>(sql: string, ...params: unknown[]): Promise<T>;
  all<T>(sql: string, ...params: unknown[]): Promise<T[]>;
}
async function raw(fn: (db: RawDb) => Promise<void>): Promise<void> {
  if (h.dialect === 'sqlite') {
    const db = new Database(h.db);
    try {
      await fn({
        run: async (sql, ...p) => void db.prepare(sql).run(...p),
        get: async <T>(sql: string, ...p: unknown[]) => db.prepare(sql).get(...p) as T,
        all: async <T>(sql: string, ...p: unknown[]) => db.prepare(sql).all(...p) as T[],
      });
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: h.db });
  await client.connect();
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  // bigint columns (seq, at) come back as numbers, as they do from SQLite.
  const rows = async (sql: string, p: unknown[]) => (await client.query({ text: numbered(sql), values: p, types: { getTypeParser: (oid: number, format?: string) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text')) } as never })).rows;
  try {
    await fn({
      run: async (sql, ...p) => void (await rows(sql, p)),
      get: async <T>(sql: string, ...p: unknown[]) => (await rows(sql, p))[0] as T,
      all: async <T>(sql: string, ...p: unknown[]) => (await rows(sql, p)) as T[],
    });
  } finally {
    await client.end();
  }
}

async function dbCheck() {
  const r = await h.run(['-f', 'json', 'db', 'check']);
  return { code: r.code, stderr: r.stderr, checks: JSON.parse(r.stdout || '[]') as Array<{ check: string; ok: boolean; detail: string }> };
}
const replayDetails = (checks: Array<{ check: string; detail: string }>) => checks.filter((c) => c.check === 'replay').map((c) => c.detail);

async function seed() {
  const ada = await h.id(['user', 'create', '-e', 'ada@example.com']);
  const bob = await h.id(['user', 'create', '-e', 'bob@example.com']);
  const prod = await h.id(['resource', 'create', '-n', 'prod-db', '-a', 'db.prod.internal']);
  const grp = await h.id(['group', 'create', '-g', 'dba', '-u', 'ada@example.com', '-r', 'prod-db']);
  return { ada, bob, prod, grp };
}

describe('db check replays the log and compares it with the tables', () => {
  it('every command leaves a log whose replay rebuilds the tables exactly', async () => {
    await seed();
    await h.ok(['user', 'update', '-i', 'ada@example.com', '--last', 'Lovelace']);
    await h.ok(['user', 'disable', '-i', 'bob@example.com']);
    await h.ok(['user', 'enable', '-i', 'bob@example.com']);
    await h.ok(['resource', 'update', '-i', 'prod-db', '--tcp', '5432']);
    await h.ok(['resource', 'create', '-n', 'cache', '-a', '10.0.0.5']);
    await h.ok(['resource', 'disable', '-i', 'cache']);
    await h.ok(['group', 'add-users', '-g', 'dba', '-u', 'bob@example.com', '--ttl', '2h']);
    await h.ok(['group', 'add-users', '-g', 'dba', '-u', 'bob@example.com', '--ttl', '4h']);
    await h.ok(['group', 'add-resources', '-g', 'dba', '-r', 'cache']);
    await h.ok(['group', 'update', '-i', 'dba', '--name', 'dbas', '--ttl', '30d']);
    await h.ok(['service', 'create', '-n', 'ci', '-r', 'prod-db', '-g', 'dbas']);
    await h.ok(['service', 'add-resources', '-i', 'ci', '-r', 'cache', '--ttl', '1h']);
    await h.ok(['service', 'update', '-i', 'ci', '--description', 'builds']);
    await h.ok(['key', 'create', '-i', 'ci', '-n', 'one']);
    await h.ok(['key', 'create', '-i', 'ci', '-n', 'two']);
    await h.ok(['key', 'rename', '-i', 'two', '-n', 'deux']);
    const token = (await h.ok(['-q', 'key', 'create', '-i', 'ci', '-n', 'three'])).trim();
    await h.ok(['key', 'rotate', '-i', 'one', '--overlap', '1h']);
    await h.ok(['key', 'revoke', '-i', 'deux']);
    await h.ok(['key', 'exchange'], { stdin: token });
    await h.ok(['config', 'set', 'key.defaultExpirationDays', '90']);
    await h.ok(['config', 'set', 'key.defaultExpirationDays', '30']);
    const csv = join(h.dir, 'users.csv');
    writeFileSync(csv, 'email,firstName,lastName,role\ncy@example.com,Cy,One,MEMBER\nada@example.com,Ada,King,ADMIN\n');
    await h.ok(['user', 'import', csv]);
    await h.ok(['group', 'remove-resources', '-g', 'dbas', '-r', 'cache']);
    await h.ok(['service', 'disable', '-i', 'ci']);
    h.advance(5 * HOUR);
    await h.ok(['sweep']);
    h.advance(2 * DAY);
    await h.ok(['sweep', '--keys', '--grace', '1d']);
    await h.ok(['user', 'delete', '-i', 'cy@example.com']);
    await h.ok(['resource', 'delete', '-i', 'cache']);
    await h.ok(['service', 'delete', '-i', 'ci']);
    await h.ok(['group', 'delete', '-i', 'dbas']);
    const { code, checks } = await dbCheck();
    expect(replayDetails(checks)).toEqual([expect.stringMatching(/^state matches the audit log \(replayed from seq 1\)$/)]);
    expect(code).toBe(0);
    // SPEC section 10: every event about a key is key.*, none carries a token or a token hash.
    const events = await h.json(['audit', 'list']);
    for (const e of events) if (e.targetType === 'key') expect(e.action).toMatch(/^key\./);
    const text = JSON.stringify(events);
    expect(text).not.toContain(token);
    expect(text).not.toContain(createHash('sha256').update(token).digest('hex'));
    expect(text).not.toMatch(/token_hash|last_used_at/);
  });

  it('a membership inserted straight into the store is reported by table and id (exit 6)', async () => {
    const { bob, grp } = await seed();
    await raw((db) => db.run('insert into group_users (group_id, user_id, expires_at, created_at) values (?, ?, null, ?)', grp, bob, h.now));
    expect((await h.run(['access', 'check', '--user', 'bob@example.com', '-r', 'prod-db'])).code).toBe(0);
    const { code, checks } = await dbCheck();
    expect(code).toBe(6);
    expect((await h.run(['db', 'check'])).stderr).toMatch(/^accessctl: store check failed: replay/);
    expect(replayDetails(checks)).toEqual([
      '1 difference(s) between the store and its audit log (replayed from seq 1)',
      `group_users ${grp} ${bob}: in the store but not in the audit log`,
    ]);
  });

  it('a swapped token hash and a hand-edited row are named with their field', async () => {
    const { ada } = await seed();
    await h.ok(['service', 'create', '-n', 'ci']);
    const key = (await h.json(['key', 'create', '-i', 'ci']))[0]!.id as string;
    await raw(async (db) => {
      await db.run("update service_keys set token_hash = 'f00d' where id = ?", key);
      await db.run("update users set role = 'ADMIN' where id = ?", ada);
      await db.run('update service_keys set last_used_at = 5 where id = ?', key); // telemetry: not a difference
    });
    const { code, checks } = await dbCheck();
    expect(code).toBe(6);
    expect(replayDetails(checks)).toEqual([
      '2 difference(s) between the store and its audit log (replayed from seq 1)',
      `users ${ada} role: role is "ADMIN" in the store, "MEMBER" by the audit log`,
      expect.stringMatching(new RegExp(`^service_keys ${key} token_hash: token_hash is "[0-9a-f]{32}" in the store, "[0-9a-f]{32}" by the audit log$`)),
    ]);
  });

  it('deleting the last event (a user disable) while keeping its effect is caught by db check', async () => {
    await seed();
    await h.ok(['user', 'disable', '-i', 'ada@example.com']);
    await raw((db) => db.run('delete from audit_events where seq = (select max(seq) from audit_events)'));
    expect((await h.run(['audit', 'verify'])).code).toBe(0); // a chain cannot see its own tail cut off
    const { code, checks } = await dbCheck();
    expect(code).toBe(6);
    expect(replayDetails(checks)).toContain(`users ${(await h.json(['user', 'show', '-i', 'ada@example.com']))[0]!.id} state: state is "DISABLED" in the store, "ACTIVE" by the audit log`);
  });
});

describe('checkpoints catch truncation and rewriting', () => {
  it('audit checkpoint prints the head as one JSON line, whatever the format', async () => {
    await seed();
    const line = await h.ok(['audit', 'checkpoint']);
    expect(line).toMatch(/^\{"seq":5,"hash":"[0-9a-f]{64}","at":"2026-11-22T23:00:00.000Z"\}\n$/);
    expect(await h.ok(['-f', 'csv', 'audit', 'checkpoint'])).toBe(line);
    const events = await h.json(['audit', 'list']);
    expect(JSON.parse(line).hash).toBe(events.at(-1)!.hash);
  });

  it('audit checkpoint reads the head and the event before it, not the whole chain: a head that does not chain is refused, a break deeper down is audit verify\'s', async () => {
    await seed();
    // A head whose hash was edited: no checkpoint of it.
    await raw(async (db) => void (await db.run("update audit_events set hash = 'ab' || substr(hash, 3) where seq = 5")));
    const r = await h.run(['audit', 'checkpoint']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^accessctl: audit chain broken at seq 5: hash does not match the event; no checkpoint taken \(run accessctl audit verify\)/);
    // A missing event just before the head: refused as well.
    await raw(async (db) => {
      await db.run("update audit_events set hash = 'cd' || substr(hash, 3) where seq = 5");
      await db.run('delete from audit_events where seq = 4');
    });
    expect((await h.run(['audit', 'checkpoint'])).stderr).toContain('audit chain broken at seq 5');
  });

  it('deleting the last events (a user disable and its event) fails verify against an earlier checkpoint', async () => {
    const { ada } = await seed();
    h.advance(HOUR);
    await h.ok(['user', 'disable', '-i', 'ada@example.com']);
    const file = join(h.dir, 'checkpoints.ndjson');
    writeFileSync(file, await h.ok(['audit', 'checkpoint']));
    expect(await h.json(['audit', 'verify', '--checkpoint', file])).toEqual([{ ok: true, events: 6, brokenSeq: null, reason: null, checkpoints: 1 }]);
    // The attacker undoes the disable and removes its event: the chain alone still verifies.
    await raw(async (db) => {
      const before = await db.get<{ details: string }>("select details from audit_events where action = 'user.disable'");
      const from = JSON.parse(before.details).changes[0].from;
      await db.run('update users set state = ?, updated_at = ? where id = ?', from.state, from.updated_at, ada);
      await db.run("delete from audit_events where action = 'user.disable'");
    });
    expect((await h.run(['audit', 'verify'])).code).toBe(0);
    expect((await dbCheck()).code).toBe(0);
    const r = await h.run(['audit', 'verify', '--checkpoint', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `accessctl: the log no longer contains the checkpoint at ${file} line 1 (seq 6): the log ends at seq 5: events up to seq 6 were there when this checkpoint was taken (the tail was cut off) (the audit log was altered outside accessctl)\n`,
    );
  });

  it('a script that rewrites every hash passes verify alone, and fails against shipped NDJSON lines', async () => {
    await seed();
    await h.ok(['group', 'add-users', '-g', 'dba', '-u', 'bob@example.com']);
    const shipped = join(h.dir, 'shipped.ndjson');
    writeFileSync(shipped, await h.ok(['-f', 'ndjson', 'audit', 'list']));
    expect((await h.run(['audit', 'verify', '--checkpoint', shipped])).code).toBe(0);
    // Hide bob's membership: drop it and its event, then re-chain everything.
    await raw(async (db) => {
      await db.run("delete from group_users where user_id = (select id from users where email = 'bob@example.com')");
      await db.run("delete from audit_events where action = 'group.add-user'");
      const rows = await db.all<Record<string, string | number>>('select * from audit_events order by seq');
      let prev = '';
      for (const [i, e] of rows.entries()) {
        const text = `{"action":${JSON.stringify(e.action)},"actor":${JSON.stringify(e.actor)},"at":${e.at},"details":${e.details},"id":${JSON.stringify(e.id)},"seq":${i + 1},"targetId":${JSON.stringify(e.target_id)},"targetType":${JSON.stringify(e.target_type)}}`;
        prev = createHash('sha256').update(prev + text).digest('hex');
        await db.run('update audit_events set seq = ?, hash = ? where seq = ?', i + 1, prev, e.seq);
      }
    });
    expect((await h.run(['audit', 'verify'])).code).toBe(0);
    expect((await dbCheck()).code).toBe(0);
    const r = await h.run(['-f', 'json', 'audit', 'verify', '--checkpoint', shipped]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ ok: false, brokenSeq: 6 });
    expect(r.stderr).toContain('line 6 (seq 6): the log ends at seq 5');
  });

  it('a checkpoint line naming a different event at its seq reports a rewrite; bad files are usage errors', async () => {
    await seed();
    const file = join(h.dir, 'cp');
    writeFileSync(file, `${JSON.stringify({ seq: 2, hash: 'ab'.repeat(32), at: 'x' })}\n`);
    const r = await h.run(['audit', 'verify', '--checkpoint', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the log holds a different event at seq 2 (the chain was rewritten)');
    writeFileSync(file, 'not json\n');
    expect(await h.run(['audit', 'verify', '--checkpoint', file])).toMatchObject({ code: 2, stderr: `accessctl: ${file} line 1 is not JSON (a checkpoint file holds \`audit checkpoint\` lines or NDJSON audit lines)\n` });
    expect((await h.run(['audit', 'verify', '--checkpoint', join(h.dir, 'missing')])).code).toBe(2);
  });
});

describe('the audit hash covers exactly the stored bytes', () => {
  it('details with a duplicated key fail verify even though re-parsing would agree with the hash', async () => {
    await seed();
    let extracted = '';
    await raw(async (db) => {
      const e = await db.get<{ seq: number; details: string }>("select seq, details from audit_events where action = 'group.create'");
      const forged = `{"changes":[],${e.details.slice(1)}`;
      await db.run('update audit_events set details = ? where seq = ?', forged, e.seq);
      // JSON.parse keeps the last "changes"; SQLite's json_extract reads the first, so a SQL
      // reader would see no changes at all. (PostgreSQL's json operators, like JSON.parse, take the last.)
      const sql = h.dialect === 'sqlite' ? "select json_extract(details, '$.changes') as c from audit_events where seq = ?" : "select (details::json -> 'changes')::text as c from audit_events where seq = ?";
      extracted = (await db.get<{ c: string }>(sql, e.seq)).c;
    });
    if (h.dialect === 'sqlite') expect(extracted).toBe('[]');
    else expect(extracted).not.toBe('[]');
    const r = await h.run(['audit', 'verify']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('accessctl: audit chain broken at seq 5: details are not the canonical text that was hashed (the audit log was altered outside accessctl)\n');
  });

  it('details are stored as canonical JSON', async () => {
    await seed();
    await raw(async (db) => {
      for (const { details } of await db.all<{ details: string }>('select details from audit_events')) {
        expect(details.startsWith('{"changes":[{"op":"insert","row":{')).toBe(true);
      }
    });
  });
});

describe('audit list --after-seq: a cursor that never misses or repeats', () => {
  it('pages through events written with out-of-order timestamps', async () => {
    const emails: string[] = [];
    for (let i = 0; i < 7; i++) {
      emails.push(`u${i}@example.com`);
      await h.ok(['user', 'create', '-e', emails[i]!]);
      h.advance(i % 2 === 0 ? -10 * MINUTE : 3 * MINUTE); // the clock moves backwards between writes
    }
    // Writers now record the predecessor's time when their clock reads earlier; a log written
    // before that rule still holds times out of order, as these do once set by hand.
    h.sql(`update audit_events set at = at - (seq % 2) * ${20 * MINUTE}`);
    const seen: number[] = [];
    let cursor = 0;
    for (;;) {
      const page = await h.json(['audit', 'list', '--after-seq', String(cursor), '--limit', '3']);
      if (page.length === 0) break;
      seen.push(...page.map((e) => e.seq as number));
      cursor = page.at(-1)!.seq as number;
    }
    // seq 1 is the fixture's own event (it opts the store into a movable clock).
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // --since, by time, would have missed events stamped earlier than the last one shipped.
    const bySince = await h.json(['audit', 'list', '--since', '2026-11-22T23:00:00Z']);
    expect(bySince.length).toBeLessThan(8);
    expect((await h.run(['audit', 'list', '--after-seq', '-1'])).code).toBe(2);
    expect((await h.run(['audit', 'list', '--limit', '0'])).code).toBe(2);
  });
});
