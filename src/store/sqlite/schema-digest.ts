import type BetterSqlite3 from 'better-sqlite3';
import { closestDifferences, describeDifference, schemaCanonical, type SchemaDifference, type SchemaRow } from '../schema-compare.js';
import type { StoreCheck } from '../store.js';
import { schema2Rows, schema3Rows } from './schema-frozen.js';

export { schemaMismatch, type SchemaRow } from '../schema-compare.js';

/**
 * SPEC section 2, "The schema is exactly ours": every table, index, trigger and view in
 * sqlite_master must be exactly what the store's schema version defines. A planted
 * `CREATE TRIGGER … RAISE(IGNORE)` would otherwise make a revocation silently do nothing while the
 * command reports success (schema-compare.ts compares the rows).
 */

/**
 * Every object but SQLite's own, named exactly: the planner's statistics tables and the
 * AUTOINCREMENT counter (tables SQLite creates itself), and the autoindexes of UNIQUE and PRIMARY
 * KEY constraints (indexes with no SQL text, which follow from the table's). Anything else whose
 * name merely starts "sqlite_" (a trigger planted through writable_schema) is compared like any
 * object. (substr and =, not LIKE: "_" is a LIKE wildcard.)
 */
export const SQLITE_OWN =
  "(type = 'table' and name in ('sqlite_sequence', 'sqlite_stat1', 'sqlite_stat2', 'sqlite_stat3', 'sqlite_stat4')) or (type = 'index' and sql is null and substr(name, 1, 17) = 'sqlite_autoindex_')";
const OBJECTS_SQL = `select type, name, tbl_name, sql from sqlite_master where not (${SQLITE_OWN})`;

export function schemaRows(sqlite: BetterSqlite3.Database): SchemaRow[] {
  const rows = sqlite.prepare(OBJECTS_SQL).raw().all() as Array<[string, string, string, string | null]>;
  return sortRows(rows);
}

function sortRows(rows: SchemaRow[]): SchemaRow[] {
  const key = (r: SchemaRow) => `${r[0]}\u0000${r[1]}`;
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * schema.sql's objects: the build computes them once (scripts/build.mjs); unbundled (tests), they
 * are computed here, once per process, by running schema.sql in an in-memory database.
 */
declare const __ACCESSCTL_SQLITE_SCHEMA__: SchemaRow[] | undefined;
let shipped: SchemaRow[] | null = null;

export function shippedRows(schemaText: () => string, open: (file: string) => BetterSqlite3.Database): SchemaRow[] {
  if (shipped) return shipped;
  if (typeof __ACCESSCTL_SQLITE_SCHEMA__ !== 'undefined') return (shipped = __ACCESSCTL_SQLITE_SCHEMA__);
  const mem = open(':memory:');
  try {
    mem.exec(schemaText());
    return (shipped = schemaRows(mem));
  } finally {
    mem.close();
  }
}

/**
 * The first release's audit_events: its event id was UNIQUE (an index on a random key, dropped in a
 * later schema 1 build for write speed). A schema 1 store may have either; the migration to schema 2
 * rebuilds the table without it, and `db migrate` does so for a store that was upgraded before.
 */
export const EARLY_AUDIT_EVENTS_SQL = `CREATE TABLE audit_events (
  seq         INTEGER PRIMARY KEY,
  id          TEXT NOT NULL UNIQUE,
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id   TEXT NOT NULL,
  details     TEXT NOT NULL,
  hash        TEXT NOT NULL
)`;

/**
 * What each schema version may hold. Version 1 and 2 define the same objects (2 changed what the
 * audit details hold, not the tables); version 1 also came with the early audit_events. Version 3
 * differs from 2 only in the groups table (type may be SYNCED); version 4 added access requests
 * (schema-frozen.ts). Version 0 with accessctl's application id holds nothing.
 */
export function acceptedSchemas(version: number, current: SchemaRow[]): SchemaRow[][] {
  if (version === 0) return [[]];
  if (version === 1) return [schema2Rows(current), withEarlyAuditEvents(schema2Rows(current))];
  if (version === 2) return [schema2Rows(current)];
  if (version === 3) return [schema3Rows(current)];
  return [current];
}

export function withEarlyAuditEvents(rows: SchemaRow[]): SchemaRow[] {
  return rows.map((r) => (r[0] === 'table' && r[1] === 'audit_events' ? ([r[0], r[1], r[2], EARLY_AUDIT_EVENTS_SQL] as const) : r));
}

/** Whether a store holds the early audit_events (only a known leftover; anything else is a difference). */
export function hasEarlyAuditEvents(rows: readonly SchemaRow[]): boolean {
  return rows.some((r) => r[0] === 'table' && r[1] === 'audit_events' && r[3] === EARLY_AUDIT_EVENTS_SQL);
}

/** The differences from the closest accepted definition of `version` (none if one matches exactly). */
export function differencesFor(actual: SchemaRow[], version: number, current: SchemaRow[]): SchemaDifference[] {
  return closestDifferences(actual, acceptedSchemas(version, current));
}

/** db check's records: one per difference, or one saying the schema matches (with its SHA-256). */
export function schemaObjectChecks(actual: SchemaRow[], version: number, current: SchemaRow[], sha256: (text: string) => string): StoreCheck[] {
  const diffs = differencesFor(actual, version, current);
  if (diffs.length === 0) {
    return [{ check: 'schemaObjects', ok: true, detail: `${actual.length} objects exactly as schema ${version} defines them (sha256 ${sha256(schemaCanonical(actual)).slice(0, 16)})` }];
  }
  return diffs.map((d) => ({ check: 'schemaObjects', ok: false, detail: describeDifference(d, version) }));
}
