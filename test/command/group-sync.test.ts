import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECT, harness, type Harness } from '../helpers/harness.js';
import { PG_BACK_TO_SCHEMA_4 } from '../helpers/old-schema.js';

/** `group sync` (SPEC section 14): each group the file names gets exactly the file's members. */
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
/** A membership file in accessctl's own layout: [group, email] pairs. */
const memberships = (name: string, pairs: Array<[string, string]>) => write(name, `group,email\n${pairs.map(([g, e]) => `${g},${e}`).join('\n')}\n`);
const people = (n: number) => Array.from({ length: n }, (_, i) => `p${String(i).padStart(2, '0')}@acme.com`);
const eventCount = async () => (await h.json(['audit', 'list'])).length;
const membersOf = async (group: string): Promise<string[]> => {
  const ids = (await h.json(['group', 'show', group]))[0]!.users as string[];
  const users = new Map((await h.json(['user', 'list'])).map((u) => [u.id, u.email]));
  return ids.map((id) => users.get(id) as string).sort();
};
const typeOf = async (group: string) => (await h.json(['group', 'show', group]))[0]!.type;
const addUsers = async (emails: string[]) => {
  for (const e of emails) await h.ok(['user', 'create', '-e', e]);
};

describe('group sync', () => {
  it('creates missing groups as permanent SYNCED groups, makes named groups hold exactly the file members, leaves other groups alone; audits each change with the file SHA-256', async () => {
    await addUsers(['ada@acme.com', 'bob@acme.com', 'cy@acme.com']);
    await h.ok(['resource', 'create', '-n', 'prod-db', '-a', 'db.prod.internal']);
    await h.ok(['group', 'create', '-g', 'dba', '-u', 'ada@acme.com', '-u', 'bob@acme.com', '-r', 'prod-db']);
    await h.ok(['group', 'create', '-g', 'untouched', '-u', 'bob@acme.com']);
    const file = memberships('m.csv', [['dba', 'ada@acme.com'], ['dba', 'cy@acme.com'], ['oncall', 'bob@acme.com']]);
    const r = await h.run(['-f', 'json', 'group', 'sync', file]);
    expect(r.code, r.stderr).toBe(0);
    const dba = (await h.json(['group', 'show', 'dba']))[0]!;
    const oncall = (await h.json(['group', 'show', 'oncall']))[0]!;
    expect(JSON.parse(r.stdout)).toEqual([
      { line: 2, action: 'update', id: dba.id, name: 'dba', changes: { type: { from: 'MANUAL', to: 'SYNCED' } } },
      { line: 3, action: 'add', id: dba.id, name: 'dba', changes: { user: 'cy@acme.com' } },
      { line: null, action: 'remove', id: dba.id, name: 'dba', changes: { user: 'bob@acme.com' } },
      { line: 4, action: 'create', id: oncall.id, name: 'oncall', changes: { type: 'SYNCED', members: 1 } },
      { line: 4, action: 'add', id: oncall.id, name: 'oncall', changes: { user: 'bob@acme.com' } },
    ]);
    expect(r.stderr).toContain('note: group dba was MANUAL; it is now SYNCED, its members managed by the file');
    expect(r.stderr).toMatch(/created 1 groups, converted 1 to SYNCED, added 2 members, removed 1 \(3 rows, 2 groups, file sha256 [0-9a-f]{12}\)/);
    expect(await membersOf('dba')).toEqual(['ada@acme.com', 'cy@acme.com']);
    expect(dba.resources).toHaveLength(1);
    expect(oncall).toMatchObject({ type: 'SYNCED', isActive: true, expiresAt: null });
    expect(await membersOf('untouched')).toEqual(['bob@acme.com']);
    expect(await typeOf('untouched')).toBe('MANUAL');
    const events = (await h.json(['audit', 'list'])).filter((e) => String(e.action).startsWith('group.sync.'));
    expect(events.map((e) => e.action)).toEqual(['group.sync.update', 'group.sync.add-user', 'group.sync.remove-user', 'group.sync.create']);
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    for (const e of events) expect(e.details).toMatchObject({ cause: 'sync', fileSha256: sha });
    expect(events[1]!.details).toMatchObject({ line: 3 });
    const check = await h.run(['db', 'check']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });

  it('a second run of the same file changes nothing and writes no event', async () => {
    await addUsers(['ada@acme.com', 'bob@acme.com']);
    const file = memberships('m.csv', [['dba', 'ada@acme.com'], ['dba', 'bob@acme.com']]);
    await h.ok(['group', 'sync', file]);
    const before = await eventCount();
    const again = await h.run(['-f', 'ndjson', 'group', 'sync', file]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain('created 0 groups, converted 0 to SYNCED, added 0 members, removed 0 (2 rows, 1 groups');
    expect(await eventCount()).toBe(before);
  });

  it('leaves member links with an expiry alone: kept as they are when in the file, never removed when not', async () => {
    await addUsers(['ada@acme.com', 'bob@acme.com', 'cy@acme.com']);
    await h.ok(['group', 'create', '-g', 'dba', '-u', 'cy@acme.com']);
    await h.ok(['group', 'add-users', '-g', 'dba', '-u', 'ada@acme.com', '-u', 'bob@acme.com', '--ttl', '1h']);
    const r = await h.run(['-f', 'json', 'group', 'sync', memberships('m.csv', [['dba', 'ada@acme.com']])]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).map((c: { action: string; changes: { user?: string } }) => `${c.action} ${c.changes.user ?? ''}`)).toEqual(['update ', 'remove cy@acme.com']);
    expect(await membersOf('dba')).toEqual(['ada@acme.com', 'bob@acme.com']);
    // An expired link named by the file is a membership again, permanent.
    h.advance(2 * 60 * 60 * 1000);
    const later = await h.run(['-f', 'json', 'group', 'sync', memberships('m2.csv', [['dba', 'ada@acme.com']])]);
    expect(later.code, later.stderr).toBe(0);
    expect(JSON.parse(later.stdout)).toEqual([expect.objectContaining({ action: 'add', name: 'dba', changes: { user: 'ada@acme.com', expiresAt: { from: expect.any(Number), to: null } } })]);
    expect((await h.run(['db', 'check'])).code).toBe(0);
  });

  it('the guard: exactly --max-remove passes, one more is refused (exit 4) with nothing changed; the default is 10', async () => {
    const all = people(30);
    await addUsers(all);
    await h.ok(['group', 'sync', memberships('all.csv', all.map((e) => ['staff', e]))]);
    const before = await eventCount();
    const eleven = await h.run(['group', 'sync', memberships('19.csv', all.slice(0, 19).map((e) => ['staff', e]))]);
    expect(eleven.code).toBe(4);
    expect(eleven.stderr).toBe(
      'accessctl: the file would remove 11 memberships, more than --max-remove 10; nothing changed (check the export holds every member of the groups it names (a truncated file drops people); if it does, pass --max-remove N)\n',
    );
    expect(await eventCount()).toBe(before);
    expect(await membersOf('staff')).toHaveLength(30);
    const ten = await h.run(['group', 'sync', memberships('20.csv', all.slice(0, 20).map((e) => ['staff', e]))]);
    expect(ten.code, ten.stderr).toBe(0);
    expect(await membersOf('staff')).toHaveLength(20);
    expect((await h.run(['group', 'sync', '--max-remove', '4', memberships('15.csv', all.slice(0, 15).map((e) => ['staff', e]))])).code).toBe(4);
    const five = await h.run(['group', 'sync', '--max-remove', '5', memberships('15b.csv', all.slice(0, 15).map((e) => ['staff', e]))]);
    expect(five.code, five.stderr).toBe(0);
    expect(await membersOf('staff')).toHaveLength(15);
  });

  it('--dry-run prints what would change and writes nothing', async () => {
    await addUsers(['ada@acme.com', 'bob@acme.com']);
    await h.ok(['group', 'create', '-g', 'dba', '-u', 'bob@acme.com']);
    const before = await eventCount();
    const r = await h.run(['-f', 'json', 'group', 'sync', '--dry-run', memberships('m.csv', [['dba', 'ada@acme.com'], ['ops', 'ada@acme.com']])]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).map((c: { action: string; name: string; id: string | null }) => `${c.action} ${c.name} ${c.id === null ? 'new' : 'old'}`)).toEqual([
      'update dba old',
      'add dba old',
      'remove dba old',
      'create ops new',
      'add ops new',
    ]);
    expect(r.stderr).toContain('note: group dba was MANUAL; it would become SYNCED');
    expect(r.stderr).toContain('dry run, nothing changed: would create 1 groups, convert 1 to SYNCED, add 2 members, remove 1');
    expect(await eventCount()).toBe(before);
    expect(await typeOf('dba')).toBe('MANUAL');
    expect((await h.run(['group', 'show', 'ops'])).code).toBe(3);
  });

  it('unknown emails fail the whole file with every line named (exit 2); bad lines and an empty file are exit 2', async () => {
    await addUsers(['ada@acme.com']);
    await h.ok(['group', 'create', '-g', 'dba', '-u', 'ada@acme.com']);
    const before = await eventCount();
    const unknown = await h.run(['group', 'sync', memberships('u.csv', [['dba', 'ghost@acme.com'], ['dba', 'ada@acme.com'], ['ops', 'nobody@acme.com']])]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'accessctl: 2 invalid rows, nothing imported: line 2: no user with email ghost@acme.com; line 4: no user with email nobody@acme.com (fix them and run it again)\n',
    );
    const bad = await h.run(['group', 'sync', write('b.csv', 'group,email\ndba,not-an-email\n,ada@acme.com\ndba,ADA@acme.com\nDBA,ada@acme.com\n')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^accessctl: 3 invalid rows, nothing imported: line 2: invalid email "not-an-email"; line 3: group name must not be empty; line 5: ada@acme.com in DBA already appears on line 4/);
    expect((await h.run(['group', 'sync', write('e.csv', 'group,email\n')])).code).toBe(2);
    const columns = await h.run(['group', 'sync', write('c.csv', 'Group Name,Member Email\ndba,ada@acme.com\n')]);
    expect(columns.code).toBe(2);
    expect(await eventCount()).toBe(before);
    expect(await typeOf('dba')).toBe('MANUAL');
  });

  it('--map reads a provider layout, other columns named once and ignored', async () => {
    await addUsers(['ada@acme.com', 'bob@acme.com']);
    const file = write('okta.csv', 'Group Name,Group Id,Member Email\r\ndba,00g1,ada@acme.com\r\ndba,00g1,bob@acme.com\r\n');
    const r = await h.run(['group', 'sync', '--map', 'Group Name=group,Member Email=email', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/note: ignoring CSV column "Group Id" \(not mapped\)/g)).toHaveLength(1);
    expect(await membersOf('dba')).toEqual(['ada@acme.com', 'bob@acme.com']);
    const badMap = await h.run(['group', 'sync', '--map', 'Group Name=team', file]);
    expect(badMap.code).toBe(2);
    expect(badMap.stderr).toContain('invalid --map field "team" (use one of group, email)');
  });

  it('access as code: a SYNCED group is exported like any group, and planning the export changes nothing', async () => {
    await addUsers(['ada@acme.com']);
    await h.ok(['group', 'sync', memberships('m.csv', [['dba', 'ada@acme.com']])]);
    const exported = await h.run(['export']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain('dba');
    const plan = await h.run(['plan', '-f', write('access.yaml', exported.stdout)]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(await typeOf('dba')).toBe('SYNCED');
    expect(await membersOf('dba')).toEqual(['ada@acme.com']);
  });

  it.runIf(DIALECT === 'postgres')('PostgreSQL: a schema 3 store moves to the latest schema on the sync\'s write, its memberships kept', async () => {
    await addUsers(['ada@acme.com', 'bob@acme.com']);
    await h.ok(['group', 'create', '-g', 'dba', '-u', 'bob@acme.com']);
    await h.ok(['group', 'create', '-g', 'ops', '-u', 'ada@acme.com', '-u', 'bob@acme.com']);
    h.sql(`${PG_BACK_TO_SCHEMA_4}; alter table groups drop constraint groups_type_check; alter table groups add constraint groups_type_check check (type in ('MANUAL', 'SYSTEM')); update accessctl_schema set version = 3`);
    // The catalog is exactly schema 3's (a difference would be exit 6 naming it); a read asks for db migrate.
    const read = await h.run(['group', 'list']);
    expect(read.code).toBe(6);
    expect(read.stderr).toContain('is at schema 3; this command only reads and does not migrate it (run: accessctl db migrate)');
    const r = await h.run(['group', 'sync', memberships('m.csv', [['dba', 'ada@acme.com']])]);
    expect(r.code, r.stderr).toBe(0);
    expect(await typeOf('dba')).toBe('SYNCED');
    expect(await membersOf('dba')).toEqual(['ada@acme.com']);
    expect(await membersOf('ops')).toEqual(['ada@acme.com', 'bob@acme.com']);
    expect((await h.run(['db', 'check'])).code).toBe(0);
  });
});
