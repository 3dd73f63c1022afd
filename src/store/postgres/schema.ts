import { existsSync, readFileSync } from 'node:fs';
import { StoreError } from '../../domain/errors.js';

/** The PostgreSQL schema's version, kept in table accessctl_schema; it moves with schema.ts's. */
export const PG_LATEST_VERSION = 4;

/** Every table of the store; a database holding any other table of its own is not ours. */
export const STORE_TABLES = [
  'users',
  'resources',
  'groups',
  'services',
  'group_users',
  'group_resources',
  'group_services',
  'service_resources',
  'service_keys',
  'exchange_tokens',
  'settings',
  'audit_events',
] as const;

/** Forward migrations for PostgreSQL: PG_MIGRATIONS[n] takes a database from version n-1 to n. */
export const PG_MIGRATIONS: Record<number, () => string> = {
  // The append-only trigger on audit_events (schema.pg.sql's own text); run by the owner.
  3: auditAppendOnlySql,
  // A group's type may be SYNCED (group sync, SPEC section 14): the check is replaced, rows untouched.
  4: () => `ALTER TABLE groups DROP CONSTRAINT groups_type_check;
ALTER TABLE groups ADD CONSTRAINT groups_type_check CHECK (type IN ('MANUAL', 'SYSTEM', 'SYNCED'));
`,
};

/** schema.pg.sql's version 3 section, from its comment to the last trigger. */
export function auditAppendOnlySql(): string {
  const text = pgSchemaText();
  const start = text.indexOf('-- Version 3: audit_events is append-only');
  const end = text.indexOf('\n', text.indexOf('CREATE TRIGGER audit_events_no_truncate'));
  if (start < 0 || end < 0) throw new Error('schema.pg.sql has no append-only section');
  return text.slice(start, end + 1);
}

export function pgSchemaText(): string {
  for (const rel of ['../schema.pg.sql', '../../schema.pg.sql', '../../../schema.pg.sql']) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(url)) return readFileSync(url, 'utf8');
  }
  throw new Error('schema.pg.sql not found beside the accessctl package');
}

export type SchemaState = { kind: 'ready' } | { kind: 'empty' } | { kind: 'older'; version: number };

/** What open found: our schema (current or older), nothing yet, or something to refuse. */
export function judgeSchema(where: string, found: { application: string | null; version: number | null; tables: number }): SchemaState {
  if (found.version === null) {
    if (found.tables > 0) {
      throw new StoreError(`database ${where} holds tables but is not an accessctl store`, 'refusing to touch it; use an empty database of its own');
    }
    return { kind: 'empty' };
  }
  if (found.application !== 'accessctl') {
    throw new StoreError(`database ${where} is not an accessctl store`, 'refusing to touch it; use an empty database of its own');
  }
  if (found.version > PG_LATEST_VERSION) {
    throw new StoreError(
      `store ${where} was written by a newer accessctl (schema ${found.version}, this one knows ${PG_LATEST_VERSION})`,
      'upgrade accessctl; the store was not modified',
    );
  }
  return found.version === PG_LATEST_VERSION ? { kind: 'ready' } : { kind: 'older', version: found.version };
}
