import type BetterSqlite3 from 'better-sqlite3';
import { StoreError } from '../../domain/errors.js';
import { APPLICATION_ID, LATEST_VERSION, migrateForward } from './schema.js';
import { differencesFor, hasEarlyAuditEvents, schemaMismatch, schemaRows, type SchemaRow } from './schema-digest.js';
import { rebuildEarlyAuditEvents } from './schema-repair.js';
import type { OpenedSchema, StoreAccess } from '../store.js';

export interface SchemaSource {
  text: () => string;
  rows: () => SchemaRow[];
}

/**
 * Judges the store's schema before any command reads it: a foreign or newer file is refused
 * untouched, every schema object is compared with what the store's version defines (exit 6
 * naming the differences), and only a writing command brings an older store up to date.
 */
export function settleSchema(sqlite: BetterSqlite3.Database, path: string, access: StoreAccess, schema: SchemaSource, beforeMigrate?: (sqlite: BetterSqlite3.Database) => void): OpenedSchema {
  const appId = sqlite.pragma('application_id', { simple: true }) as number;
  const version = sqlite.pragma('user_version', { simple: true }) as number;
  if (appId !== APPLICATION_ID) {
    const tables = sqlite.prepare("select count(*) as n from sqlite_master where substr(name, 1, 7) <> 'sqlite_'").get() as { n: number };
    if (appId !== 0 || version !== 0 || tables.n > 0) {
      throw new StoreError(`${path} is a SQLite database but not an accessctl store`, 'refusing to touch it; choose another --db path');
    }
    // A new, empty file: only a command that may create the store gets here to write it.
    if (access === 'read' || access === 'check') {
      throw new StoreError(`${path} is an empty store being created`, 'try again in a moment; otherwise remove the empty file or run "accessctl db init"');
    }
    ensureWal(sqlite);
    migrateForward(sqlite, schema.text, schema.rows());
    return { version: LATEST_VERSION, migratedFrom: 0, repaired: [] };
  }
  if (version > LATEST_VERSION) {
    throw new StoreError(
      `store ${path} was written by a newer accessctl (schema ${version}, this one knows ${LATEST_VERSION})`,
      'upgrade accessctl; the store was not modified',
    );
  }
  // An edited version number is named as such, before the objects it then fails to match.
  if (version === 1) refuseEditedVersion(sqlite, path, version);
  const rows = schemaRows(sqlite);
  let diffs = differencesFor(rows, version, schema.rows());
  const leftover = version >= 2 && hasEarlyAuditEvents(rows) && diffs.length === 1;
  if (diffs.length > 0 && access !== 'check' && !(leftover && access === 'migrate')) throw schemaMismatch(path, version, diffs);
  if (access === 'read' || access === 'check') return { version, migratedFrom: null, repaired: [] };
  // A migration is a write: what refuses a write (a clock override) refuses it too, before it starts.
  if (version < LATEST_VERSION || leftover) beforeMigrate?.(sqlite);
  ensureWal(sqlite);
  const repaired: string[] = [];
  if (leftover) {
    sqlite.exec('begin immediate');
    try {
      if (rebuildEarlyAuditEvents(sqlite, schema.rows())) repaired.push('table audit_events: the unique index on event ids of the first release');
      sqlite.exec('commit');
    } catch (err) {
      if (sqlite.inTransaction) sqlite.exec('rollback');
      throw err;
    }
  }
  if (version < LATEST_VERSION) {
    if (version === 1 && hasEarlyAuditEvents(rows)) repaired.push('table audit_events: the unique index on event ids of the first release');
    migrateForward(sqlite, schema.text, schema.rows());
  }
  // What a migration or repair left must be exactly the shipped schema.
  diffs = differencesFor(schemaRows(sqlite), LATEST_VERSION, schema.rows());
  if (diffs.length > 0) throw schemaMismatch(path, LATEST_VERSION, diffs);
  return { version: LATEST_VERSION, migratedFrom: version < LATEST_VERSION ? version : null, repaired };
}

/**
 * A schema 1 store's log is all format 1; a format 2 event last means the version number was
 * edited back (and a write would migrate the store a second time).
 */
function refuseEditedVersion(sqlite: BetterSqlite3.Database, path: string, version: number): void {
  // Without an audit_events table there is nothing to tell: the schema comparison names what is missing.
  if (!sqlite.prepare("select 1 from sqlite_master where type = 'table' and name = 'audit_events'").get()) return;
  const last = sqlite.prepare('select seq, details from audit_events order by seq desc limit 1').get() as { seq: number; details: string } | undefined;
  let v: unknown = null;
  try {
    v = last === undefined ? null : (JSON.parse(last.details) as { v?: unknown }).v;
  } catch {
    v = null;
  }
  if (v === 2) {
    throw new StoreError(
      `store ${path} says schema ${version}, but its audit log holds format 2 events (seq ${last!.seq}): the schema version was edited`,
      'restore it from a backup; accessctl db check lists what else differs',
    );
  }
}

function ensureWal(sqlite: BetterSqlite3.Database): void {
  if (sqlite.pragma('journal_mode', { simple: true }) !== 'wal') sqlite.pragma('journal_mode = WAL');
}
