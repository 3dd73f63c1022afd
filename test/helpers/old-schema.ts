import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { schema2Rows, schema3Rows } from '../../src/store/sqlite/schema-frozen.js';
import { schemaRows, type SchemaRow } from '../../src/store/sqlite/schema-digest.js';
import { ROOT } from './spawn.js';

/**
 * schema.sql as an earlier schema version had it, from the frozen definitions the store itself
 * judges older stores by (src/store/sqlite/schema-frozen.ts). Tests that write a store "as an earlier
 * release wrote it" start from this text.
 */
function schemaAt(frozen: (current: readonly SchemaRow[]) => SchemaRow[]): string {
  const mem = new Database(':memory:');
  let rows: SchemaRow[];
  try {
    mem.exec(readFileSync(join(ROOT, 'schema.sql'), 'utf8'));
    rows = frozen(schemaRows(mem));
  } finally {
    mem.close();
  }
  const order = ['table', 'index', 'trigger', 'view'];
  return [...rows]
    .filter((r) => r[3] !== null)
    .sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]))
    .map((r) => `${r[3]};\n`)
    .join('');
}

/** Schema versions 1 and 2: groups could not be SYNCED (schema 3), and nothing of schema 4's requests. */
export function schemaVersion1(): string {
  return schemaAt(schema2Rows);
}

/** Schema version 3: groups may be SYNCED, but no logins, request policies, membership starts or requests. */
export function schemaVersion3(): string {
  return schemaAt(schema3Rows);
}

/**
 * Takes a fresh PostgreSQL store back to schema 4 as that schema had it (no logins, request
 * policies, membership starts, requests or reviews): what migration 5 must bring forward again.
 */
export const PG_BACK_TO_SCHEMA_4 = [
  'drop table review_items',
  'drop table reviews',
  'drop table requests',
  'drop index users_login',
  'alter table users drop column login',
  'alter table groups drop column request_policy',
  'alter table group_users drop column starts_at',
  'update accessctl_schema set version = 4',
].join('; ');
