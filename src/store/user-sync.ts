import { objectCreated, objectUpdated } from '../domain/audit-events.js';
import { ConflictError } from '../domain/errors.js';
import { insertMany } from './insert-many.js';
import type { Db, Tx } from './mutate.js';
import type { UsersTable } from './tables.js';

/** One change a sync makes (or, for a dry run, would make). */
export interface SyncChange {
  line: number | null;
  action: 'create' | 'update' | 'disable';
  id: string | null;
  name: string;
  changes: Record<string, unknown>;
}

export interface SyncCounts {
  created: number;
  updated: number;
  disabled: number;
}

export interface SyncOptions {
  maxDisable: number;
  fileSha256: string;
  newUser(patch: Partial<UsersTable>, id: string, now: number): UsersTable;
  newId(): string;
  now: number;
}

/** The checked rows of the file, read a chunk at a time (cli/csv-import.ts). */
export interface SyncRows {
  eachChunk(size: number, work: (rows: Array<{ line: number; key: string; name: string; patch: Partial<UsersTable> }>) => Promise<void>): Promise<void>;
}

const CHUNK = 1000;

/** Columns a sync compares and writes: never the email (a change of case is not a change), never ids or times. */
const SYNCED_COLUMNS = ['first_name', 'last_name', 'role', 'state', 'type'] as const;
const FIELD: Record<(typeof SYNCED_COLUMNS)[number], string> = { first_name: 'firstName', last_name: 'lastName', role: 'role', state: 'state', type: 'type' };

/**
 * Makes the store's users match a directory file (SPEC section 14): every user in it created or
 * updated and `SYNCED`; every `SYNCED` user missing from it disabled, never deleted (memberships
 * stay, inert while the user is disabled); `MANUAL` users not in it untouched. With `tx` null
 * (a dry run) it only computes the changes. Disabling more than `maxDisable` users, whether the
 * file drops them or marks them disabled, throws: the transaction then writes nothing.
 */
export async function syncUsers(db: Db, tx: Tx | null, rows: SyncRows, opts: SyncOptions, emit: (change: SyncChange) => void): Promise<SyncCounts> {
  const counts: SyncCounts = { created: 0, updated: 0, disabled: 0 };
  const inFile = new Set<string>();
  let disabledByFile = 0;
  const audit = (line: number | null) => ({ cause: 'sync', extra: line === null ? { fileSha256: opts.fileSha256 } : { line, fileSha256: opts.fileSha256 } });
  await rows.eachChunk(CHUNK, async (chunk) => {
    const existing = new Map<string, UsersTable>();
    const keys = chunk.map((r) => r.key);
    for (const u of await db.selectFrom('users').selectAll().where('email_key', 'in', keys).execute()) existing.set(u.email_key, u);
    const inserts: UsersTable[] = [];
    for (const row of chunk) {
      inFile.add(row.key);
      const patch: Partial<UsersTable> = { ...row.patch, type: 'SYNCED' };
      const before = existing.get(row.key);
      if (!before) {
        const made = opts.newUser(patch, opts.newId(), opts.now);
        inserts.push(made);
        counts.created++;
        const { email, first_name, last_name, role, state, type } = made;
        emit({ line: row.line, action: 'create', id: tx ? made.id : null, name: row.name, changes: { email, firstName: first_name, lastName: last_name, role, state, type } });
        tx?.audit(objectCreated('user', made, [], { action: 'user.sync.create', ...audit(row.line) }));
        continue;
      }
      const set: Partial<UsersTable> = {};
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      for (const col of SYNCED_COLUMNS) {
        const to = patch[col];
        if (to === undefined || to === before[col]) continue;
        (set as Record<string, unknown>)[col] = to;
        changes[FIELD[col]] = { from: before[col], to };
      }
      if (Object.keys(set).length === 0) continue;
      counts.updated++;
      if (set.state === 'DISABLED') disabledByFile++;
      emit({ line: row.line, action: 'update', id: before.id, name: row.name, changes });
      if (tx) {
        await tx.db.updateTable('users').set({ ...set, updated_at: opts.now }).where('id', '=', before.id).execute();
        tx.audit(objectUpdated('user', before, { ...before, ...set, updated_at: opts.now }, { action: 'user.sync.update', ...audit(row.line) }));
      }
    }
    if (tx) {
      await insertMany(tx.db as unknown as Db, 'users', inserts as unknown as Array<Record<string, unknown>>);
      await tx.flushAudit();
    }
  });
  // Only the keys of every active SYNCED user, then whole rows for the few the file lacks: whole
  // rows of the entire directory, sorted, cost more than the rest of a nightly sync.
  const syncedKeys = await db.selectFrom('users').select('email_key').where('type', '=', 'SYNCED').where('state', '=', 'ACTIVE').execute();
  const goneKeys = syncedKeys.map((u) => u.email_key).filter((k) => !inFile.has(k));
  const gone: UsersTable[] = [];
  for (let i = 0; i < goneKeys.length; i += CHUNK) {
    gone.push(...(await db.selectFrom('users').selectAll().where('email_key', 'in', goneKeys.slice(i, i + CHUNK)).execute()));
  }
  gone.sort((a, b) => (a.email_key < b.email_key ? -1 : a.email_key > b.email_key ? 1 : 0));
  if (gone.length + disabledByFile > opts.maxDisable) {
    throw new ConflictError(
      `the file would disable ${gone.length + disabledByFile} ${gone.length + disabledByFile === 1 ? 'user' : 'users'}, more than --max-disable ${opts.maxDisable}; nothing changed`,
      'check the export is the whole directory: a truncated file drops people; --dry-run --max-disable 1000 lists them; if it is whole, pass --max-disable N',
    );
  }
  for (let i = 0; i < gone.length; i += CHUNK) {
    const part = gone.slice(i, i + CHUNK);
    for (const u of part) {
      counts.disabled++;
      emit({ line: null, action: 'disable', id: u.id, name: u.email, changes: { state: { from: 'ACTIVE', to: 'DISABLED' } } });
      tx?.audit(objectUpdated('user', u, { ...u, state: 'DISABLED', updated_at: opts.now }, { action: 'user.sync.disable', ...audit(null) }));
    }
    if (tx) {
      await tx.db.updateTable('users').set({ state: 'DISABLED', updated_at: opts.now }).where('id', 'in', part.map((u) => u.id)).execute();
      await tx.flushAudit();
    }
  }
  return counts;
}
