import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PG_BACK_TO_SCHEMA_4 } from '../helpers/old-schema.js';
import { createDatabase, dropDatabase, psql } from '../helpers/pg-cluster.js';
import { cli } from '../helpers/spawn.js';

/**
 * PostgreSQL schema 4 to 5 (access requests, SPEC section 15, and reviews, 16): db migrate adds the
 * columns and the requests, reviews and review_items tables, keeps every row, leaves db check clean, and a role db grant made reader or
 * writer before the upgrade holds the same on requests as on the other tables.
 */

const base = inject('pgUrl');
const suffix = `${process.pid}_${Date.now().toString(36)}`;
const reader = `rq_reader_${suffix}`;
const writer = `rq_writer_${suffix}`;
let url = '';

const owner = (args: string[]) => cli(['--db', url, ...args], { env: { ACCESSCTL_ACTOR: 'owner' } });
const counts = () => ['users', 'groups', 'group_users', 'group_resources', 'audit_events'].map((t) => psql(url, `select count(*) from ${t}`));
const privileges = (role: string, table = 'requests') =>
  psql(url, `select string_agg(p, ',' order by p) from unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE']) p where has_table_privilege('${role}', '${table}', p)`);

beforeAll(() => {
  url = createDatabase(base);
  for (const role of [reader, writer]) psql(url, `create role ${role} login`);
});
afterAll(() => {
  dropDatabase(url);
  for (const role of [reader, writer]) psql(base, `drop role if exists ${role}`);
});

describe('PostgreSQL: a schema 4 store moves to schema 5', () => {
  it('keeps every row, checks clean, and carries the grants to requests', () => {
    for (const args of [
      ['user', 'create', '-e', 'ada@example.com'],
      ['user', 'create', '-e', 'bob@example.com'],
      ['resource', 'create', '-n', 'prod-db', '-a', 'db.prod.internal'],
      ['group', 'create', '-g', 'dba', '-u', 'ada@example.com,bob@example.com', '-r', 'prod-db'],
      ['group', 'create', '-g', 'on-call', '-u', 'bob@example.com', '--ttl', '2h'],
      ['db', 'grant', '--reader', reader, '--apply'],
      ['db', 'grant', '--writer', writer, '--apply'],
    ]) {
      const r = owner(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    expect(privileges(reader)).toBe('SELECT');
    expect(privileges(writer)).toBe('DELETE,INSERT,SELECT,UPDATE');
    psql(url, PG_BACK_TO_SCHEMA_4);
    const before = counts();

    // Exactly schema 4's catalog (a difference would be exit 6 naming it); a read asks for db migrate.
    const read = owner(['user', 'list']);
    expect(read.code).toBe(6);
    expect(read.stderr).toContain('is at schema 4; this command only reads and does not migrate it (run: accessctl db migrate)');

    const migrate = owner(['db', 'migrate']);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(psql(url, 'select version from accessctl_schema')).toBe('5');
    // No snapshot event: the columns added are NULL on every row, which is what the old events replay to.
    expect(counts()).toEqual(before);
    expect(psql(url, 'select count(*) from users where login is not null')).toBe('0');
    expect(psql(url, 'select count(*) from group_users where starts_at is not null')).toBe('0');
    expect(psql(url, 'select count(*) from reviews')).toBe('0');
    const check = owner(['db', 'check']);
    expect(check.code, check.stdout + check.stderr).toBe(0);

    for (const table of ['requests', 'reviews', 'review_items']) {
      expect(privileges(reader, table), table).toBe('SELECT');
      expect(privileges(writer, table), table).toBe('DELETE,INSERT,SELECT,UPDATE');
    }
    const asReader = new URL(url);
    asReader.username = reader;
    expect(cli(['--db', asReader.toString(), 'user', 'list']).code).toBe(0);
    // And the store takes writes, which db check still finds in step with the log.
    expect(owner(['group', 'create', '-g', 'ops', '-u', 'ada@example.com']).code).toBe(0);
    expect(owner(['db', 'check']).code).toBe(0);
  }, 120_000);
});
