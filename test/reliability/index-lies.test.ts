import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';
import { raw } from '../helpers/raw-log.js';

/**
 * An index that lies (SPEC section 2, "Output is what the store holds"). Someone who can write
 * the store file changes one byte of a unique index: the rowid an entry points at. The tables
 * still replay cleanly against the audit log; SQLite answers lookups from the index and reads
 * the row it points at. Each case below answered for the wrong row before: a revoked key's token
 * verified as another key, `--user eve` was answered for ada, a deactivated group granted again.
 * Now every such lookup is confirmed against the table (src/store/index-guard.ts): exit 6. And
 * db check names the index (integrity), as it did before.
 */
let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.cleanup());

/** The index entry whose key is `text` now points at rowid `to` (was `from`): one byte of its page. */
async function repointIndexEntry(index: string, text: string, from: number, to: number): Promise<void> {
  let root = 0;
  let pageSize = 0;
  // Opened and closed read-write: the last connection to close checkpoints, so the page is in the file.
  await raw(h, async (db) => {
    root = (await db.all<{ rootpage: number }>('select rootpage from sqlite_master where name = ?', index))[0]!.rootpage;
    pageSize = (await db.all<{ page_size: number }>('pragma page_size'))[0]!.page_size;
  });
  const fd = openSync(h.db, 'r+');
  try {
    const page = Buffer.alloc(pageSize);
    readSync(fd, page, 0, pageSize, (root - 1) * pageSize);
    const at = page.indexOf(Buffer.from(text, 'utf8'));
    expect(at, `${text} in ${index}`).toBeGreaterThan(0);
    expect(page.indexOf(Buffer.from(text, 'utf8'), at + 1)).toBe(-1);
    const rowidByte = at + Buffer.byteLength(text);
    // A small rowid is a one-byte integer right after the key in the index record.
    expect(page[rowidByte]).toBe(from);
    page[rowidByte] = to;
    writeSync(fd, page, 0, pageSize, (root - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
}

async function rowidOf(table: string, column: string, value: string): Promise<number> {
  let rowid = 0;
  await raw(h, async (db) => {
    rowid = (await db.all<{ rowid: number }>(`select rowid from ${table} where ${column} = ?`, value))[0]!.rowid;
  });
  return rowid;
}

async function expectIndexLie(r: { code: number; stdout: string; stderr: string }, index: string) {
  expect(r.code).toBe(6);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain(`index on ${index} disagrees with its table`);
}

async function dbCheckNamesIndex(index: string) {
  const r = await h.run(['-f', 'json', 'db', 'check']);
  expect(r.code).toBe(6);
  const failed = (JSON.parse(r.stdout) as Array<{ check: string; ok: boolean; detail: string }>).filter((c) => !c.ok);
  expect(failed.map((c) => c.check)).toEqual(['integrity']);
  expect(failed[0]!.detail).toContain(index);
}

describe('a unique index edited behind accessctl', () => {
  it("a revoked key's token does not verify as another key through the token_hash index", async () => {
    await h.ok(['resource', 'create', '-n', 'prod', '-a', 'prod.internal']);
    await h.ok(['service', 'create', '-n', 'ci', '-r', 'prod']);
    const active = (await h.json(['key', 'create', '-i', 'ci', '-n', 'a']))[0]!.token as string;
    const revoked = (await h.json(['key', 'create', '-i', 'ci', '-n', 'b']))[0]!;
    await h.ok(['-y', 'key', 'revoke', '-i', revoked.id as string]);
    const hashB = createHash('sha256').update(revoked.token as string).digest('hex');
    const rowA = await rowidOf('service_keys', 'token_hash', createHash('sha256').update(active).digest('hex'));
    const rowB = await rowidOf('service_keys', 'token_hash', hashB);
    expect((await h.run(['key', 'verify'], { stdin: revoked.token as string })).code).toBe(5);

    await repointIndexEntry('sqlite_autoindex_service_keys_2', hashB, rowB, rowA);

    await expectIndexLie(await h.run(['-f', 'json', 'key', 'verify'], { stdin: revoked.token as string }), 'service_keys.token_hash');
    await expectIndexLie(await h.run(['-f', 'json', 'access', 'check', '--token-stdin', '-r', 'prod'], { stdin: revoked.token as string }), 'service_keys.token_hash');
    const batch = await h.run(['access', 'check', '--batch'], { stdin: `${JSON.stringify({ token: revoked.token, resource: 'prod' })}\n` });
    expect(batch.code).toBe(6);
    expect(batch.stdout).not.toContain('"allowed":true');
    // The untouched entry still answers.
    expect((await h.run(['key', 'verify'], { stdin: active })).code).toBe(0);
    await dbCheckNamesIndex('sqlite_autoindex_service_keys_2');
  });

  it('access check --user eve is not answered for ada through the email_key index', async () => {
    await h.ok(['user', 'create', '-e', 'ada@example.com']);
    await h.ok(['user', 'create', '-e', 'eve@example.com']);
    await h.ok(['resource', 'create', '-n', 'prod', '-a', 'prod.internal']);
    await h.ok(['group', 'create', '-g', 'ops', '-u', 'ada@example.com', '-r', 'prod']);
    expect((await h.run(['access', 'check', '--user', 'eve@example.com', '-r', 'prod'])).code).toBe(5);

    await repointIndexEntry('sqlite_autoindex_users_2', 'eve@example.com', await rowidOf('users', 'email_key', 'eve@example.com'), await rowidOf('users', 'email_key', 'ada@example.com'));

    await expectIndexLie(await h.run(['-f', 'json', 'access', 'check', '--user', 'eve@example.com', '-r', 'prod']), 'users.email_key');
    const batch = await h.run(['access', 'check', '--batch'], { stdin: '{"user":"eve@example.com","resource":"prod"}\n' });
    expect(batch.code).toBe(6);
    expect(batch.stdout).not.toContain('"allowed":true');
    await expectIndexLie(await h.run(['-f', 'json', 'user', 'show', 'eve@example.com']), 'users.email_key');
    expect((await h.run(['access', 'check', '--user', 'ada@example.com', '-r', 'prod'])).code).toBe(0);
    await dbCheckNamesIndex('sqlite_autoindex_users_2');
  });

  it('planted planner statistics (sqlite_stat1) do not steer the confirmation away from the index', async () => {
    await h.ok(['user', 'create', '-e', 'ada@example.com']);
    await h.ok(['user', 'create', '-e', 'eve@example.com']);
    await h.ok(['resource', 'create', '-n', 'prod', '-a', 'prod.internal']);
    await h.ok(['group', 'create', '-g', 'ops', '-u', 'ada@example.com', '-r', 'prod']);
    // ANALYZE is allowed (sqlite_stat1 is SQLite's own); these figures call every index useless.
    await raw(h, async (db) => {
      await db.run('analyze');
      await db.run("update sqlite_stat1 set stat = '1000000 1000000 unordered noskipscan sz=999'");
    });
    expect((await h.run(['access', 'check', '--user', 'eve@example.com', '-r', 'prod'])).code).toBe(5);

    await repointIndexEntry('sqlite_autoindex_users_2', 'eve@example.com', await rowidOf('users', 'email_key', 'eve@example.com'), await rowidOf('users', 'email_key', 'ada@example.com'));

    await expectIndexLie(await h.run(['-f', 'json', 'access', 'check', '--user', 'eve@example.com', '-r', 'prod']), 'users.email_key');
  });

  it("a deactivated group does not grant again under another group's row through the id index", async () => {
    await h.ok(['user', 'create', '-e', 'ada@example.com']);
    await h.ok(['resource', 'create', '-n', 'prod', '-a', 'prod.internal']);
    await h.ok(['group', 'create', '-g', 'xx']);
    const dd = await h.id(['group', 'create', '-g', 'dd', '-u', 'ada@example.com', '-r', 'prod']);
    await h.ok(['-y', 'group', 'update', '-i', 'dd', '--inactive']);
    expect((await h.run(['access', 'check', '--user', 'ada@example.com', '-r', 'prod'])).code).toBe(5);

    await repointIndexEntry('sqlite_autoindex_groups_1', dd, await rowidOf('groups', 'id', dd), await rowidOf('groups', 'name', 'xx'));

    await expectIndexLie(await h.run(['-f', 'json', 'access', 'check', '--user', 'ada@example.com', '-r', 'prod']), 'groups.id');
    await expectIndexLie(await h.run(['-f', 'json', 'access', 'list', '--user', 'ada@example.com']), 'groups.id');
    const batch = await h.run(['access', 'check', '--batch'], { stdin: '{"user":"ada@example.com","resource":"prod"}\n' });
    expect(batch.code).toBe(6);
    expect(batch.stdout).not.toContain('"allowed":true');
    await dbCheckNamesIndex('sqlite_autoindex_groups_1');
  });

  it('a login repointed to another user is not taken for them (who asks, who may approve)', async () => {
    await h.ok(['user', 'create', '-e', 'ada@example.com']);
    await h.ok(['user', 'create', '-e', 'eve@example.com']);
    await h.ok(['user', 'update', 'ada@example.com', '--login', 'ada-op']);
    await h.ok(['user', 'update', 'eve@example.com', '--login', 'eve-op']);
    expect((await h.run(['request', 'list', '--mine'], { env: { SUDO_USER: 'eve-op' } })).code).toBe(0);

    await repointIndexEntry('users_login', 'eve-op', await rowidOf('users', 'login', 'eve-op'), await rowidOf('users', 'login', 'ada-op'));

    await expectIndexLie(await h.run(['-f', 'json', 'request', 'list', '--mine'], { env: { SUDO_USER: 'eve-op' } }), 'users.login');
    await dbCheckNamesIndex('users_login');
  });
});
