import type { Kysely } from 'kysely';
import { objectCreated, objectUpdated } from '../domain/audit-events.js';
import { insertMany } from '../store/insert-many.js';
import { chunks, mutate, type Tx } from '../store/mutate.js';
import type { OutputRecord } from '../output/fields.js';
import type { Ctx } from './context.js';
import { diff, meta } from './commands/shared.js';

/** One valid CSV row: the unique key it upserts by, and the fields it sets. */
export interface ImportRow<R> {
  line: number;
  key: string;
  name: string;
  patch: Partial<R>;
}

export interface UpsertSpec<R extends { id: string }> {
  table: 'users' | 'resources';
  keyColumn: 'email_key' | 'name_key';
  /** The column the key is derived from (email, name). */
  nameColumn: 'email' | 'name';
  kind: 'user' | 'resource';
  /** A complete new row from a patch, or a message why the row cannot create one. */
  create(patch: Partial<R>, id: string, now: number): R | string;
}

/**
 * Upserts every row in one transaction (or, for a dry run, only computes the changes).
 * Inserts go in multi-row statements; updates only where a field really changes.
 */
export async function upsertRows<R extends { id: string }>(ctx: Ctx, spec: UpsertSpec<R>, rows: readonly ImportRow<R>[], dryRun: boolean): Promise<OutputRecord[]> {
  const plan = async (tx: Tx | null): Promise<OutputRecord[]> => {
    // users and resources share the upsert; a loosely typed handle lets one function serve both.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const db = (tx?.db ?? ctx.store().db) as unknown as Kysely<any>;
    const now = tx?.now ?? ctx.clock.now();
    const existing = new Map<string, R>();
    for (const part of chunks(rows.map((r) => r.key))) {
      const found = (await db.selectFrom(spec.table).selectAll().where(spec.keyColumn, 'in', part).execute()) as unknown as R[];
      for (const r of found) existing.set((r as Record<string, unknown>)[spec.keyColumn] as string, r);
    }
    const changes: OutputRecord[] = [];
    const inserts: R[] = [];
    const problems: string[] = [];
    for (const row of rows) {
      const before = existing.get(row.key);
      if (!before) {
        const created = spec.create(row.patch, ctx.ids.id(spec.kind), now);
        if (typeof created === 'string') {
          problems.push(`line ${row.line}: ${created}`);
          continue;
        }
        inserts.push(created);
        const { id: _id, ...fields } = diffNew(created);
        changes.push({ line: row.line, action: 'create', id: tx ? created.id : null, name: row.name, changes: fields });
        if (tx) {
          tx.audit(objectCreated(spec.kind, created, [], { action: `${spec.kind}.import.create`, cause: 'import', extra: { line: row.line } }));
          if (changes.length % 1000 === 0) await tx.flushAudit();
        }
        continue;
      }
      // The key column matched case-insensitively; a change of case alone is not an update.
      const patch = { ...row.patch };
      delete (patch as Record<string, unknown>)[spec.nameColumn];
      const fieldChanges = diff(before, patch);
      if (Object.keys(fieldChanges).length === 0) continue;
      changes.push({ line: row.line, action: 'update', id: before.id, name: row.name, changes: fieldChanges });
      if (tx) {
        await db
          .updateTable(spec.table)
          .set({ ...patch, updated_at: now })
          .where('id', '=', before.id)
          .execute();
        tx.audit(objectUpdated(spec.kind, before, { ...before, ...patch, updated_at: now }, { action: `${spec.kind}.import.update`, cause: 'import', extra: { line: row.line } }));
      }
    }
    if (problems.length > 0) {
      const { importErrors } = await import('./csv-import.js');
      throw importErrors(
        problems.map((p) => ({ line: Number(/^line (\d+)/.exec(p)![1]), message: p.replace(/^line \d+: /, '') })),
        problems.length,
      );
    }
    if (tx) await insertMany(db, spec.table, inserts as unknown as Array<Record<string, unknown>>);
    return changes;
  };
  const changes = dryRun ? await plan(null) : await mutate(ctx.store().db, meta(ctx), plan);
  const created = changes.filter((c) => c.action === 'create').length;
  const verb = dryRun ? 'dry run, nothing changed: would create' : 'created';
  ctx.note(`${verb} ${created}, ${dryRun ? 'update' : 'updated'} ${changes.length - created}, unchanged ${rows.length - changes.length} (${rows.length} rows)`);
  return changes;
}

/** A new row's fields for the audit log and output: camelCase, without keys and timestamps. */
function diffNew<R extends { id: string }>(row: R): Record<string, unknown> & { id: string } {
  const out: Record<string, unknown> = {};
  for (const k in row) {
    const name = fieldName(k);
    if (name !== null) out[name] = row[k];
  }
  return out as Record<string, unknown> & { id: string };
}

const FIELD_NAME = new Map<string, string | null>();
function fieldName(column: string): string | null {
  let name = FIELD_NAME.get(column);
  if (name === undefined) {
    name = column.endsWith('_key') || column === 'created_at' || column === 'updated_at' ? null : column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    FIELD_NAME.set(column, name);
  }
  return name;
}
