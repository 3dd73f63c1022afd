import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PG_BACK_TO_SCHEMA_4 } from '../helpers/old-schema.js';
import { createDatabase, dropDatabase, psql } from '../helpers/pg-cluster.js';
import { cli } from '../helpers/spawn.js';

/**
 * Least privilege at the engine (SPEC section 11): db grant's reader and writer, connected as each
 * (LOGIN roles on the throwaway cluster), with accessctl and with psql; the append-only trigger of
 * the shipped schema; db check naming a role that can do more than it should.
 */

const base = inject('pgUrl');
const suffix = `${process.pid}_${Date.now().toString(36)}`;
const reader = `gate_${suffix}`;
const writer = `ops_${suffix}`;
const wide = `wide_${suffix}`;
let url = '';

const as = (role: string) => {
  const u = new URL(url);
  u.username = role;
  return u.toString();
};
const run = (role: string, args: string[], stdin?: string) => cli(['--db', as(role), ...args], { env: { ACCESSCTL_ACTOR: role }, ...(stdin === undefined ? {} : { stdin }) });
/** psql as `role`; returns its exit status and stderr. */
const psqlAs = (role: string, statement: string) => {
  const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', as(role), '-c', statement], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
};

beforeAll(() => {
  url = createDatabase(base);
  for (const role of [reader, writer, wide]) psql(url, `create role ${role} login`);
  expect(cli(['--db', url, 'user', 'create', '-e', 'ada@example.com'], { env: { ACCESSCTL_ACTOR: 'owner' } }).code).toBe(0);
});
afterAll(() => {
  dropDatabase(url);
  for (const role of [reader, writer, wide]) psql(base, `drop role if exists ${role}`);
});

describe('db grant', () => {
  it('prints the statements without running them; psql runs them as the owner', () => {
    const printed = run('postgres', ['db', 'grant', '--reader', reader]);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toMatch(/^-- reader grants for postgres:\/\/postgres@/);
    expect(printed.stdout).toContain(`GRANT SELECT ON "public"."users"`);
    expect(printed.stdout).not.toMatch(/GRANT (INSERT|UPDATE|DELETE)/);
    // Not applied yet: the reader cannot read.
    expect(run(reader, ['user', 'list']).code).toBe(6);
    const applied = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url], { input: printed.stdout, encoding: 'utf8' });
    expect(applied.status, applied.stderr).toBe(0);
    expect(run(reader, ['user', 'list']).code).toBe(0);
  });

  it('a reader reads, answers a batch, and every write is refused by the server', () => {
    expect(run('postgres', ['db', 'grant', '--reader', reader, '--apply']).code).toBe(0);
    expect(run(reader, ['-f', 'json', 'user', 'list']).stdout).toContain('ada@example.com');
    expect(run('postgres', ['resource', 'create', '-n', 'wiki', '-a', 'wiki.internal']).code).toBe(0);
    expect(run('postgres', ['service', 'create', '-n', 'ci', '-r', 'wiki']).code).toBe(0);
    const token = (JSON.parse(run('postgres', ['-f', 'json', 'key', 'create', '-i', 'ci']).stdout) as Array<{ token: string }>)[0]!.token;
    const batch = run(reader, ['access', 'check', '--batch'], `${JSON.stringify({ token, resource: 'wiki' })}\n`);
    expect(batch.code, batch.stderr).toBe(0);
    expect(JSON.parse(batch.stdout)).toMatchObject({ allowed: true });
    const refused = run(reader, ['user', 'create', '-e', 'mallory@example.com']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/^accessctl: PostgreSQL denied a statement on \S+ \(insufficient privilege\)/);
    for (const statement of ["update users set role = 'ADMIN'", 'delete from service_keys', "insert into audit_events values (999, 'x', 0, 'x', 'x', 'x', 'x', 'x', 'x')", 'create table planted (a int)']) {
      const r = psqlAs(reader, statement);
      expect(r.status, statement).not.toBe(0);
      expect(r.stderr).toMatch(/permission denied/);
    }
  });

  it('a writer runs mutations; the audit table is append-only and the schema closed to it', () => {
    expect(run('postgres', ['db', 'grant', '--writer', writer, '--apply']).code).toBe(0);
    for (const args of [
      ['user', 'create', '-e', 'bob@example.com'],
      ['group', 'create', '-g', 'oncall', '-u', 'bob@example.com', '--ttl', '1h'],
      ['user', 'disable', '-i', 'bob@example.com'],
      ['sweep'],
      ['audit', 'verify'],
    ]) {
      const r = run(writer, args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    for (const statement of ["update audit_events set actor = 'nobody'", 'delete from audit_events', 'truncate audit_events', 'create table planted (a int)', 'create function planted() returns int language sql as $$ select 1 $$', 'create trigger planted before update on service_keys for each row execute function accessctl_audit_append_only()']) {
      const r = psqlAs(writer, statement);
      expect(r.status, statement).not.toBe(0);
      expect(r.stderr).toMatch(/permission denied|must be owner/);
    }
    expect(run('postgres', ['db', 'check']).code).toBe(0);
  });

  it('even with UPDATE, DELETE and TRUNCATE granted, the schema\'s trigger refuses them; db check names the role', () => {
    psql(url, `grant select, update, delete, truncate on audit_events to ${wide}; grant usage on schema public to ${wide}`);
    for (const statement of ["update audit_events set actor = 'nobody'", 'delete from audit_events', 'truncate audit_events']) {
      const r = psqlAs(wide, statement);
      expect(r.status, statement).not.toBe(0);
      expect(r.stderr).toMatch(/audit_events is append-only: (UPDATE|DELETE|TRUNCATE) refused for role wide_/);
    }
    // The owner still can (a restore, a migration): the chain and checkpoints are its check.
    expect(psql(url, 'select count(*) > 0 from audit_events')).toBe('t');
    const check = run('postgres', ['-f', 'json', 'db', 'check']);
    expect(check.code).toBe(6);
    const privileges = (JSON.parse(check.stdout) as Array<{ check: string; ok: boolean; detail: string }>).find((c) => c.check === 'privileges');
    expect(privileges).toEqual({ check: 'privileges', ok: false, detail: `role ${wide} can DELETE, TRUNCATE, UPDATE audit_events` });
    psql(url, `grant create on schema public to ${wide}`);
    const again = JSON.parse(run('postgres', ['-f', 'json', 'db', 'check']).stdout) as Array<{ check: string; detail: string }>;
    expect(again.find((c) => c.check === 'privileges')!.detail).toContain(`role ${wide} can CREATE in schema public`);
    psql(url, `revoke all on audit_events from ${wide}; revoke all on schema public from ${wide}`);
    expect(run('postgres', ['db', 'check']).code).toBe(0);
  });

  it('asks for exactly one role; refuses a name that is not an identifier or a role that does not exist', () => {
    expect(run('postgres', ['db', 'grant']).code).toBe(2);
    expect(run('postgres', ['db', 'grant', '--reader', 'a', '--writer', 'b']).code).toBe(2);
    expect(run('postgres', ['db', 'grant', '--reader', 'x"; drop table users; --']).code).toBe(2);
    const missing = run('postgres', ['db', 'grant', '--writer', 'no_such_role_zz', '--apply']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/role "no_such_role_zz" does not exist/);
  });

  it('a version 2 store gets the trigger from its owner\'s first write (schema versions 3, 4 and 5)', () => {
    const old = createDatabase(base);
    try {
      expect(cli(['--db', old, 'db', 'init'], {}).code).toBe(0);
      psql(old, PG_BACK_TO_SCHEMA_4);
      psql(old, 'drop trigger audit_events_append_only on audit_events; drop trigger audit_events_no_truncate on audit_events; drop function accessctl_audit_append_only(); update accessctl_schema set version = 2');
      // Schema 2's groups could not be SYNCED (schema 4 added it).
      psql(old, "alter table groups drop constraint groups_type_check; alter table groups add constraint groups_type_check check (type in ('MANUAL', 'SYSTEM'))");
      expect(cli(['--db', old, 'user', 'create', '-e', 'ada@example.com'], {}).code).toBe(0);
      expect(psql(old, 'select version from accessctl_schema')).toBe('5');
      expect(psql(old, "select string_agg(tgname, ',' order by tgname) from pg_trigger where tgrelid = 'audit_events'::regclass")).toBe('audit_events_append_only,audit_events_no_truncate');
      expect(psql(old, "select pg_get_constraintdef(oid) from pg_constraint where conname = 'groups_type_check'")).toContain("'SYNCED'::text");
    } finally {
      dropDatabase(old);
    }
  });
});
