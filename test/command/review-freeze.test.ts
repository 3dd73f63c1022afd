import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { frozenGrants, type FrozenGrant, type ReviewScope } from '../../src/store/review-freeze.js';
import { DAY, harness, HOUR, type Harness } from '../helpers/harness.js';

/** What a review freezes (SPEC section 16): the grants that give access in its scope, by the one access rule. */
let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.cleanup());

async function freeze(scope: ReviewScope, chunkSize?: number): Promise<FrozenGrant[][]> {
  const store = openStore(h.dialect === 'postgres' ? { path: 'store', url: h.db, managedDir: false, access: 'read' } : { path: h.db, managedDir: false, access: 'read' });
  try {
    await store.connect?.();
    const chunks: FrozenGrant[][] = [];
    for await (const chunk of frozenGrants(store.db, scope, h.now, chunkSize)) chunks.push(chunk);
    return chunks;
  } finally {
    await store.close();
  }
}

/** item number: kind owner subject gives */
const lines = (chunks: FrozenGrant[][]) => chunks.flat().map((g, i) => `${i + 1}: ${g.kind} ${g.owner_name} ${g.subject_name} ${(JSON.parse(g.gives) as Array<{ name: string }>).map((r) => r.name).join(',')}`);

async function world() {
  const id: Record<string, string> = {};
  for (const u of ['ada', 'bob', 'cy', 'dee', 'eve']) id[u] = await h.id(['user', 'create', '-e', `${u}@example.com`]);
  for (const r of ['db1', 'web', 'off']) id[r] = await h.id(['resource', 'create', '-n', r, '-a', `${r}.internal`]);
  id['svc-a'] = await h.id(['service', 'create', '-n', 'svc-a', '-r', 'db1']);
  id['svc-b'] = await h.id(['service', 'create', '-n', 'svc-b', '-r', 'web,off']);
  id.dba = await h.id(['group', 'create', '-g', 'dba', '-u', 'eve@example.com,dee@example.com,cy@example.com,bob@example.com,ada@example.com', '-r', 'web,db1', '--services', 'svc-b']);
  id.empty = await h.id(['group', 'create', '-g', 'empty', '-u', 'ada@example.com', '-r', 'off', '--services', 'svc-a']);
  id.old = await h.id(['group', 'create', '-g', 'old', '-u', 'ada@example.com', '-r', 'db1']);
  id.ops = await h.id(['group', 'create', '-g', 'ops', '-u', 'bob@example.com', '-r', 'web']);
  h.sql(`update users set state = 'DISABLED' where id = '${id.cy}'`);
  h.sql(`update group_users set starts_at = ${h.now + DAY} where user_id = '${id.dee}'`);
  h.sql(`update group_users set expires_at = ${h.now - HOUR} where user_id = '${id.eve}'`);
  h.sql(`update groups set expires_at = ${h.now - HOUR} where id = '${id.old}'`);
  h.sql(`update resources set is_active = 0 where id = '${id.off}'`);
  return id;
}

describe('frozenGrants: the items of a review', () => {
  it('--all: every grant that gives something, in item order; nothing given, nothing frozen', async () => {
    const id = await world();
    const chunks = await freeze({ kind: 'all' });
    expect(chunks).toHaveLength(1);
    expect(lines(chunks)).toEqual([
      '1: group_user dba ada@example.com db1,web',
      '2: group_user dba bob@example.com db1,web',
      '3: group_user dba dee@example.com db1,web',
      '4: group_user ops bob@example.com web',
      '5: group_service dba svc-b db1,web',
      '6: service_resource svc-a svc-a db1',
      '7: service_resource svc-b svc-b web',
    ]);
    const [ada, , dee, , svcb, svca] = chunks.flat();
    expect(ada).toMatchObject({ owner_id: id.dba, subject_type: 'user', subject_id: id.ada, starts_at: null, expires_at: null, link_created_at: h.now });
    expect(ada!.gives).toBe(JSON.stringify([{ id: id.db1, name: 'db1' }, { id: id.web, name: 'web' }]));
    // A grant approved for later is reviewed too, with its start.
    expect(dee!.starts_at).toBe(h.now + DAY);
    expect(svcb).toMatchObject({ owner_id: id.dba, subject_type: 'service', subject_id: id['svc-b'], starts_at: null });
    expect(svca).toEqual({
      kind: 'service_resource',
      owner_id: id['svc-a'],
      owner_name: 'svc-a',
      subject_type: 'service',
      subject_id: id['svc-a'],
      subject_name: 'svc-a',
      starts_at: null,
      expires_at: null,
      link_created_at: h.now,
      gives: JSON.stringify([{ id: id.db1, name: 'db1' }]),
    });
  });

  it('-g: the memberships of that group only; -r: the grants that give it, each with all it gives', async () => {
    const id = await world();
    expect(lines(await freeze({ kind: 'group', id: id.dba! }))).toEqual([
      '1: group_user dba ada@example.com db1,web',
      '2: group_user dba bob@example.com db1,web',
      '3: group_user dba dee@example.com db1,web',
      '4: group_service dba svc-b db1,web',
    ]);
    expect(await freeze({ kind: 'group', id: id.old! })).toEqual([]);
    expect(await freeze({ kind: 'group', id: id.empty! })).toEqual([]);
    expect(lines(await freeze({ kind: 'resource', id: id.db1! }))).toEqual([
      '1: group_user dba ada@example.com db1,web',
      '2: group_user dba bob@example.com db1,web',
      '3: group_user dba dee@example.com db1,web',
      '4: group_service dba svc-b db1,web',
      '5: service_resource svc-a svc-a db1',
    ]);
    expect(lines(await freeze({ kind: 'resource', id: id.web! }))).toEqual([
      '1: group_user dba ada@example.com db1,web',
      '2: group_user dba bob@example.com db1,web',
      '3: group_user dba dee@example.com db1,web',
      '4: group_user ops bob@example.com web',
      '5: group_service dba svc-b db1,web',
      '6: service_resource svc-b svc-b web',
    ]);
    expect(await freeze({ kind: 'resource', id: id.off! })).toEqual([]);
  });

  it('chunks of the asked size, the same items in the same order whatever the size', async () => {
    await world();
    const whole = lines(await freeze({ kind: 'all' }));
    for (const size of [1, 2, 3, 7, 100]) {
      const chunks = await freeze({ kind: 'all' }, size);
      expect(chunks.map((c) => c.length)).toEqual(Array.from({ length: Math.ceil(7 / size) }, (_, i) => Math.min(size, 7 - i * size)));
      expect(lines(chunks)).toEqual(whole);
    }
  });

  it('time decides: a membership that has expired since is not frozen, one that has started is', async () => {
    await world();
    h.advance(2 * DAY);
    h.sql(`update group_users set expires_at = ${h.now - 1} where user_id in (select id from users where email = 'bob@example.com')`);
    expect(lines(await freeze({ kind: 'all' }))).toEqual([
      '1: group_user dba ada@example.com db1,web',
      '2: group_user dba dee@example.com db1,web',
      '3: group_service dba svc-b db1,web',
      '4: service_resource svc-a svc-a db1',
      '5: service_resource svc-b svc-b web',
    ]);
  });
});
