import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';

/** `user sync` (SPEC section 14): the file is the whole directory, for SYNCED users only. */
let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.cleanup());

const write = (name: string, text: string) => {
  const path = join(h.dir, name);
  writeFileSync(path, text);
  return path;
};
/** An Okta export (its own headers, CRLF) of these logins, all ACTIVE. */
const okta = (name: string, logins: string[]) =>
  write(name, `\ufeffUsername,First name,Last name,Primary email,Status\r\n${logins.map((l) => `${l},F ${l},"L, ${l}",${l},ACTIVE`).join('\r\n')}\r\n`);
const people = (n: number) => Array.from({ length: n }, (_, i) => `p${String(i).padStart(2, '0')}@acme.com`);
const states = async (): Promise<Record<string, string>> => Object.fromEntries((await h.json(['user', 'list'])).map((u) => [u.email, `${u.state} ${u.type}`]));
const eventCount = async () => (await h.json(['audit', 'list'])).length;

describe('user sync', () => {
  it('creates and updates the users in the file as SYNCED, disables the SYNCED ones missing, never touches MANUAL ones; audits each change with the file SHA-256', async () => {
    await h.ok(['user', 'create', '-e', 'admin@acme.com', '--role', 'ADMIN']);
    await h.ok(['user', 'create', '-e', 'ada@acme.com', '--first', 'Old']);
    const first = okta('day1.csv', ['ada@acme.com', 'bob@acme.com', 'cy@acme.com']);
    const r1 = await h.run(['user', 'sync', '--from', 'okta', first]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r1.stderr).toMatch(/created 2, updated 1, disabled 0, unchanged 0 \(3 rows, file sha256 [0-9a-f]{12}\)/);
    expect(await states()).toEqual({ 'admin@acme.com': 'ACTIVE MANUAL', 'ada@acme.com': 'ACTIVE SYNCED', 'bob@acme.com': 'ACTIVE SYNCED', 'cy@acme.com': 'ACTIVE SYNCED' });
    h.advance(60_000);
    const second = okta('day2.csv', ['ada@acme.com', 'cy@acme.com']);
    const r2 = await h.run(['-f', 'json', 'user', 'sync', '--from', 'okta', second]);
    expect(r2.code, r2.stderr).toBe(0);
    const bob = (await h.json(['user', 'show', 'bob@acme.com']))[0]!;
    expect(JSON.parse(r2.stdout)).toEqual([{ line: null, action: 'disable', id: bob.id, name: 'bob@acme.com', changes: { state: { from: 'ACTIVE', to: 'DISABLED' } } }]);
    expect(await states()).toMatchObject({ 'admin@acme.com': 'ACTIVE MANUAL', 'bob@acme.com': 'DISABLED SYNCED' });
    const events = (await h.json(['audit', 'list'])).filter((e) => String(e.action).startsWith('user.sync.'));
    expect(events.map((e) => e.action)).toEqual(['user.sync.update', 'user.sync.create', 'user.sync.create', 'user.sync.disable']);
    const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
    expect(events.map((e) => (e.details as { fileSha256: string }).fileSha256)).toEqual([sha(first), sha(first), sha(first), sha(second)]);
    expect(events[0]!.details).toMatchObject({ cause: 'sync', line: 2 });
    expect((await h.run(['db', 'check'])).code).toBe(0);
  });

  it('a second run of the same file changes nothing and writes no event', async () => {
    const file = okta('d.csv', people(5));
    await h.ok(['user', 'sync', '--from', 'okta', file]);
    await h.ok(['user', 'sync', '--from', 'okta', okta('less.csv', people(3))]);
    const before = await eventCount();
    const again = await h.run(['-f', 'ndjson', 'user', 'sync', '--from', 'okta', okta('less2.csv', people(3))]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain('created 0, updated 0, disabled 0, unchanged 3 (3 rows');
    expect(await eventCount()).toBe(before);
  });

  it('a user who leaves keeps their grants, inert, and reaches their resources again on coming back', async () => {
    await h.ok(['resource', 'create', '-n', 'prod-db', '-a', 'db.prod.internal']);
    await h.ok(['user', 'sync', '--from', 'okta', okta('a.csv', ['ada@acme.com', 'bob@acme.com'])]);
    await h.ok(['group', 'create', '-g', 'dba', '-u', 'bob@acme.com', '-r', 'prod-db']);
    const check = () => h.run(['access', 'check', '--user', 'bob@acme.com', '-r', 'prod-db']);
    expect((await check()).code).toBe(0);
    await h.ok(['user', 'sync', '--from', 'okta', okta('b.csv', ['ada@acme.com'])]);
    expect((await check()).code).toBe(5);
    const bobId = (await h.json(['user', 'show', 'bob@acme.com']))[0]!.id;
    expect((await h.json(['group', 'show', 'dba']))[0]!.users).toEqual([bobId]);
    const back = await h.run(['-f', 'json', 'user', 'sync', '--from', 'okta', okta('c.csv', ['ada@acme.com', 'bob@acme.com'])]);
    expect(JSON.parse(back.stdout)).toEqual([expect.objectContaining({ line: 3, action: 'update', name: 'bob@acme.com', changes: { state: { from: 'DISABLED', to: 'ACTIVE' } } })]);
    expect((await check()).code).toBe(0);
  });

  it('the guard: exactly --max-disable passes, one more is refused (exit 4) with nothing changed; the default is 10', async () => {
    await h.ok(['user', 'sync', '--from', 'okta', okta('all.csv', people(30))]);
    const before = await eventCount();
    const eleven = await h.run(['user', 'sync', '--from', 'okta', okta('19.csv', people(19))]);
    expect(eleven.code).toBe(4);
    expect(eleven.stderr).toBe(
      'accessctl: the file would disable 11 users, more than --max-disable 10; nothing changed (check the export is the whole directory: a truncated file drops people; --dry-run --max-disable 1000 lists them; if it is whole, pass --max-disable N)\n',
    );
    expect(await eventCount()).toBe(before);
    expect(Object.values(await states()).filter((s) => s.startsWith('DISABLED'))).toEqual([]);
    const refused = await h.run(['user', 'sync', '--from', 'okta', '--max-disable', '4', okta('25.csv', people(25))]);
    expect(refused.code).toBe(4);
    expect(await eventCount()).toBe(before);
    const passes = await h.run(['user', 'sync', '--from', 'okta', '--max-disable', '5', okta('25b.csv', people(25))]);
    expect(passes.code, passes.stderr).toBe(0);
    expect(passes.stderr).toContain('disabled 5');
    const ten = await h.run(['user', 'sync', '--from', 'okta', okta('15.csv', people(15))]);
    expect(ten.code, ten.stderr).toBe(0);
    expect(Object.values(await states()).filter((s) => s.startsWith('DISABLED'))).toHaveLength(15);
  });

  it('--dry-run prints what would change and writes nothing', async () => {
    await h.ok(['user', 'sync', '--from', 'okta', okta('a.csv', ['ada@acme.com', 'bob@acme.com'])]);
    const before = await eventCount();
    const r = await h.run(['-f', 'json', 'user', 'sync', '--from', 'okta', '--dry-run', okta('b.csv', ['ada@acme.com', 'cy@acme.com'])]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).map((c: { action: string; name: string }) => `${c.action} ${c.name}`)).toEqual(['create cy@acme.com', 'disable bob@acme.com']);
    expect(r.stderr).toContain('dry run, nothing changed: would create 1, update 0, disable 1');
    expect(await eventCount()).toBe(before);
    expect(await states()).toEqual({ 'ada@acme.com': 'ACTIVE SYNCED', 'bob@acme.com': 'ACTIVE SYNCED' });
  });

  it('every bad line is reported and nothing is written; an empty file is exit 2', async () => {
    await h.ok(['user', 'sync', '--from', 'okta', okta('a.csv', ['ada@acme.com'])]);
    const before = await eventCount();
    const bad = write('bad.csv', 'Username,Status\r\nbob@acme.com,ACTIVE\r\nnot-an-email,ACTIVE\r\ncy@acme.com,VACATION\r\nBOB@acme.com,ACTIVE\r\n');
    const r = await h.run(['user', 'sync', '--from', 'okta', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^accessctl: 3 invalid rows, nothing imported: line 3: invalid email "not-an-email"; line 4: unknown state "VACATION"; line 5: BOB@acme.com already appears on line 2/);
    expect(await eventCount()).toBe(before);
    const empty = await h.run(['user', 'sync', '--from', 'okta', write('empty.csv', 'Username,Status\r\n')]);
    expect(empty.code).toBe(2);
    expect(await states()).toEqual({ 'ada@acme.com': 'ACTIVE SYNCED' });
  });

  it('reads each provider layout, and marks a user the file suspends as DISABLED (counted by the guard)', async () => {
    await h.ok(['user', 'sync', '--from', 'google', write('g.csv', 'First Name [Required],Last Name [Required],Email Address [Required],Status [READ ONLY]\nAda,L,ada@acme.com,Active\nBob,B,bob@acme.com,Active\n')]);
    const r = await h.run(['user', 'sync', '--from', 'entra', '--max-disable', '0', write('e.csv', 'userPrincipalName,mail,givenName,surname,accountEnabled\nada@acme.com,,Ada,L,TRUE\nbob@acme.com,,Bob,B,FALSE\n')]);
    expect(r.code).toBe(4);
    const ok = await h.run(['user', 'sync', '--from', 'entra', '--max-disable', '1', write('e2.csv', 'userPrincipalName,mail,givenName,surname,accountEnabled\nada@acme.com,,Ada,L,TRUE\nbob@acme.com,,Bob,B,FALSE\n')]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(await states()).toEqual({ 'ada@acme.com': 'ACTIVE SYNCED', 'bob@acme.com': 'DISABLED SYNCED' });
  });
});
