import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';

// SPEC §2 "Output is what the store holds": a mutation prints rows read back inside its
// transaction, or fails when the rows it meant to change did not change. The attack: a trigger
// planted behind accessctl's back that silently swallows a write or its audit event. (A store
// whose schema check refuses the planted trigger at open is exit 6 too: either way the command
// must fail, print nothing as done, and leave the store as it was.)

let h: Harness;
beforeEach(async () => {
  h = harness();
  await h.ok(['user', 'create', '-e', 'ada@example.com', '--role', 'MEMBER']);
  await h.ok(['user', 'create', '-e', 'bob@example.com']);
  await h.ok(['resource', 'create', '-n', 'prod-db', '-a', 'db.prod.internal']);
  await h.ok(['group', 'create', '-g', 'dba', '-u', 'ada@example.com', '-r', 'prod-db']);
  await h.ok(['service', 'create', '-n', 'ci']);
  await h.ok(['key', 'create', '-i', 'ci', '-n', 'deploy']);
});
afterEach(() => h.cleanup());

type Op = 'INSERT' | 'UPDATE' | 'DELETE';

/** A trigger that skips the row (SQLite RAISE(IGNORE); PostgreSQL a BEFORE trigger returning NULL). */
function plant(table: string, op: Op, opts: { column?: string; action?: string } = {}): () => void {
  const on = `${op}${opts.column ? ` OF ${opts.column}` : ''} ON ${table}`;
  if (h.dialect === 'postgres') {
    const when = opts.action ? ` WHEN (NEW.action = '${opts.action}')` : '';
    h.sql(`CREATE OR REPLACE FUNCTION planted_skip() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
      CREATE TRIGGER planted BEFORE ${on} FOR EACH ROW${when} EXECUTE FUNCTION planted_skip();`);
    return () => h.sql(`DROP TRIGGER planted ON ${table}; DROP FUNCTION planted_skip();`);
  }
  const when = opts.action ? ` WHEN new.action = '${opts.action}'` : '';
  h.sql(`CREATE TRIGGER planted BEFORE ${on}${when} BEGIN SELECT RAISE(IGNORE); END;`);
  return () => h.sql('DROP TRIGGER planted;');
}

/** A trigger that lets the write through, then quietly changes another column of the same row. */
function sideEffect(table: string, column: string, set: string): () => void {
  if (h.dialect === 'postgres') {
    h.sql(`CREATE OR REPLACE FUNCTION planted_side() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE ${table} SET ${set} WHERE id = NEW.id; RETURN NULL; END $$;
      CREATE TRIGGER planted AFTER UPDATE OF ${column} ON ${table} FOR EACH ROW EXECUTE FUNCTION planted_side();`);
    return () => h.sql(`DROP TRIGGER planted ON ${table}; DROP FUNCTION planted_side();`);
  }
  h.sql(`CREATE TRIGGER planted AFTER UPDATE OF ${column} ON ${table} BEGIN UPDATE ${table} SET ${set} WHERE id = new.id; END;`);
  return () => h.sql('DROP TRIGGER planted;');
}

async function events(action: string): Promise<number> {
  return (await h.json(['audit', 'list', '--action', action])).length;
}

interface Attack {
  name: string;
  setup?: () => Promise<void>;
  stdin?: () => string;
  /** The acting login, where the command needs one (SQLite: SUDO_USER, the test owning the store). */
  env?: Record<string, string>;
  argv: string[];
  trap: () => () => void;
  /** What must still hold once the trap is removed: the store as it was. */
  unchanged: () => Promise<void>;
  action: string;
}

const keyStatus = async () => (await h.json(['key', 'list']))[0]!.status;

let token = '';
let review = '';

/** carol decides reviews: linked to the login the command runs as (PostgreSQL: the session's role). */
async function reviewOfDba(): Promise<void> {
  await h.ok(['user', 'create', '-e', 'carol@example.com']);
  await h.ok(['user', 'update', '-i', 'carol@example.com', '--login', h.dialect === 'postgres' ? 'postgres' : 'carol']);
  review = String((await h.json(['review', 'start', '-g', 'dba']))[0]!.id);
}

const attacks: Attack[] = [
  {
    name: 'key exchange, its short-lived token swallowed (no token is printed)',
    setup: async () => {
      token = (await h.ok(['-q', 'key', 'create', '-i', 'ci', '-n', 'exchanger'])).trim();
    },
    argv: ['key', 'exchange'],
    stdin: () => token,
    trap: () => plant('exchange_tokens', 'INSERT'),
    // The key still exchanges once the trigger is gone: nothing about it changed.
    unchanged: async () => expect((await h.run(['key', 'exchange'], { stdin: token })).code).toBe(0),
    action: 'key.exchange',
  },
  {
    name: 'key revoke, its update swallowed',
    argv: ['-y', 'key', 'revoke', '-i', 'deploy'],
    trap: () => plant('service_keys', 'UPDATE', { column: 'revoked_at' }),
    unchanged: async () => expect(await keyStatus()).toBe('ACTIVE'),
    action: 'key.revoke',
  },
  {
    name: 'key revoke, its audit event swallowed',
    argv: ['-y', 'key', 'revoke', '-i', 'deploy'],
    trap: () => plant('audit_events', 'INSERT', { action: 'key.revoke' }),
    unchanged: async () => expect(await keyStatus()).toBe('ACTIVE'),
    action: 'key.revoke',
  },
  {
    name: 'key create, its insert swallowed (no token is printed)',
    argv: ['key', 'create', '-i', 'ci', '-n', 'second'],
    trap: () => plant('service_keys', 'INSERT'),
    unchanged: async () => expect(await h.json(['key', 'list'])).toHaveLength(1),
    action: 'key.create',
  },
  {
    name: 'user update, its update swallowed',
    argv: ['user', 'update', '-i', 'ada@example.com', '--role', 'ADMIN'],
    trap: () => plant('users', 'UPDATE'),
    unchanged: async () => expect((await h.json(['user', 'show', '-i', 'ada@example.com']))[0]!.role).toBe('MEMBER'),
    action: 'user.update',
  },
  {
    name: 'user delete, its delete swallowed',
    argv: ['-y', 'user', 'delete', '-i', 'ada@example.com'],
    trap: () => plant('users', 'DELETE'),
    unchanged: async () => expect((await h.json(['group', 'show', '-i', 'dba']))[0]!.users).toHaveLength(1),
    action: 'user.delete',
  },
  {
    name: 'group add-users, its insert swallowed',
    argv: ['group', 'add-users', '-g', 'dba', '-u', 'bob@example.com'],
    trap: () => plant('group_users', 'INSERT'),
    unchanged: async () => expect((await h.json(['group', 'show', '-i', 'dba']))[0]!.users).toHaveLength(1),
    action: 'group.add-user',
  },
  {
    name: 'user update, a trigger disabling the user as well',
    argv: ['user', 'update', '-i', 'ada@example.com', '--role', 'ADMIN'],
    trap: () => sideEffect('users', 'role', "state = 'DISABLED'"),
    unchanged: async () => expect((await h.json(['user', 'show', '-i', 'ada@example.com']))[0]).toMatchObject({ role: 'MEMBER', state: 'ACTIVE' }),
    action: 'user.update',
  },
  {
    name: 'key revoke, a trigger pushing the expiry out as well',
    argv: ['-y', 'key', 'revoke', '-i', 'deploy'],
    trap: () => sideEffect('service_keys', 'revoked_at', 'expires_at = 253402300799000'),
    unchanged: async () => expect(await keyStatus()).toBe('ACTIVE'),
    action: 'key.revoke',
  },
  {
    name: 'sweep, its removal of an expired membership swallowed',
    setup: async () => {
      await h.ok(['group', 'add-users', '-g', 'dba', '-u', 'bob@example.com', '--ttl', '1h']);
      h.advance(2 * 3_600_000);
    },
    argv: ['sweep'],
    trap: () => plant('group_users', 'DELETE'),
    unchanged: async () => expect(await h.json(['sweep', '--dry-run'])).toHaveLength(1),
    action: 'sweep.membership.delete',
  },
  {
    name: 'group remove-users, its delete swallowed (not "nothing to remove")',
    argv: ['group', 'remove-users', '-g', 'dba', '-u', 'ada@example.com'],
    trap: () => plant('group_users', 'DELETE'),
    unchanged: async () => expect((await h.json(['group', 'show', '-i', 'dba']))[0]!.users).toHaveLength(1),
    action: 'group.remove-user',
  },
  {
    name: 'resource update, its update swallowed',
    argv: ['resource', 'update', '-i', 'prod-db', '--alias', 'db.corp'],
    trap: () => plant('resources', 'UPDATE'),
    unchanged: async () => expect((await h.json(['resource', 'show', '-i', 'prod-db']))[0]!.alias ?? null).toBeNull(),
    action: 'resource.update',
  },
  {
    name: 'service disable, its update swallowed',
    argv: ['-y', 'service', 'disable', '-i', 'ci'],
    trap: () => plant('services', 'UPDATE'),
    unchanged: async () => expect((await h.json(['service', 'show', '-i', 'ci']))[0]!.state).toBe('ACTIVE'),
    action: 'service.disable',
  },
  {
    name: 'review decide, its update of the item swallowed',
    setup: reviewOfDba,
    env: { SUDO_USER: 'carol' },
    argv: ['review', 'decide', '<review>', '1', '--revoke'],
    trap: () => plant('review_items', 'UPDATE'),
    unchanged: async () => expect(await h.json(['review', 'show', review])).toMatchObject({ review: { decided: 0 } }),
    action: 'review.decide',
  },
  {
    name: 'config set, its write swallowed',
    argv: ['config', 'set', 'key.maxActivePerService', '2'],
    trap: () => plant('settings', 'INSERT'),
    unchanged: async () => expect((await h.json(['config', 'get', 'key.maxActivePerService']))[0]!.value).toBe('10'),
    action: 'config.set',
  },
];

describe('a write the store did not take is a failure, never a report of success', () => {
  for (const a of attacks) {
    it(`${a.name}: exit 6, nothing on stdout, the store unchanged`, async () => {
      await a.setup?.();
      const before = await events(a.action);
      const remove = a.trap();
      let r;
      try {
        r = await h.run(
          a.argv.map((arg) => (arg === '<review>' ? review : arg)),
          { ...(a.stdin ? { stdin: a.stdin() } : {}), ...(a.env ? { env: a.env } : {}) },
        );
      } finally {
        remove();
      }
      expect(r.code, r.stderr).toBe(6);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^accessctl: (the store did not take the write: |.*(schema|trigger))/);
      expect(await events(a.action)).toBe(before);
      await a.unchanged();
    });
  }

  it('the untouched commands still succeed and print what the store holds', async () => {
    const [k] = await h.json(['-y', 'key', 'revoke', '-i', 'deploy']);
    expect(k).toMatchObject({ name: 'deploy', status: 'REVOKED' });
    expect((await h.json(['key', 'show', '-i', String(k!.id)]))[0]).toEqual(k);
    expect((await h.json(['user', 'update', '-i', 'ada@example.com', '--role', 'ADMIN']))[0]).toMatchObject({ role: 'ADMIN' });
    expect(await events('key.revoke')).toBe(1);
    await reviewOfDba();
    const decided = await h.run(['-f', 'json', 'review', 'decide', review, '1', '--revoke'], { env: { SUDO_USER: 'carol' } });
    expect(decided.code, decided.stderr).toBe(0);
    expect(JSON.parse(decided.stdout)[0]).toMatchObject({ id: review, decided: 1 });
  });
});
