import type { Kysely } from 'kysely';
import { StoreError } from '../domain/errors.js';
import type { Database } from './tables.js';

/**
 * "Output is what the store holds": a mutation states what each row it wrote must now hold
 * (or that it must be gone), and before COMMIT the rows are read back and compared. A trigger or
 * rule that swallows a write (`RAISE(IGNORE)`, `DO INSTEAD NOTHING`) or undoes it afterwards
 * turns into a failed command that changed nothing, never a report of a change that did not
 * happen.
 */

export type TableName = keyof Database;

/** The row as the command means it to be after the write, or null: the row must not exist. */
export interface Expectation {
  table: TableName;
  /** The columns that identify the row: { id } or a link's two ids. */
  key: Record<string, string>;
  row: Record<string, unknown> | null;
}

const HINT = 'something in the store (a trigger or rule) altered the write; nothing was changed; run accessctl db check';

export function notAsWritten(what: string): StoreError {
  return new StoreError(`the store did not take the write: ${what}`, HINT);
}

/** Reads every expected row back and compares each column the command set with what is stored. */
export async function verifyExpectations(db: Kysely<Database>, expectations: readonly Expectation[]): Promise<void> {
  const loose = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  // The last word on a row counts: a row created and then deleted in one command must be gone.
  const latest = new Map<string, Expectation>();
  for (const e of expectations) latest.set(`${e.table}\u0000${JSON.stringify(e.key)}`, e);
  const byId = new Map<TableName, Expectation[]>();
  for (const e of latest.values()) {
    const keys = Object.keys(e.key);
    if (keys.length === 1 && keys[0] === 'id') byId.set(e.table, [...(byId.get(e.table) ?? []), e]);
    else await verifyOne(loose, e);
  }
  for (const [table, list] of byId) {
    for (let i = 0; i < list.length; i += 500) {
      const part = list.slice(i, i + 500);
      const rows = await loose
        .selectFrom(table)
        .selectAll()
        .where(
          'id',
          'in',
          part.map((e) => e.key.id!),
        )
        .execute();
      const found = new Map(rows.map((r) => [String(r.id), r]));
      for (const e of part) compare(e, found.get(e.key.id!));
    }
  }
}

async function verifyOne(db: Kysely<Record<string, Record<string, unknown>>>, e: Expectation): Promise<void> {
  let q = db.selectFrom(e.table).selectAll();
  for (const [column, value] of Object.entries(e.key)) q = q.where(column, '=', value);
  compare(e, await q.executeTakeFirst());
}

function compare(e: Expectation, stored: Record<string, unknown> | undefined): void {
  const name = `${e.table} ${Object.values(e.key).join(' ')}`;
  if (e.row === null) {
    if (stored) throw notAsWritten(`${name} is still there after it was deleted`);
    return;
  }
  if (!stored) throw notAsWritten(`${name} is missing after it was written`);
  for (const [column, value] of Object.entries(stored)) {
    if (!Object.hasOwn(e.row, column)) continue;
    const want = e.row[column];
    if (same(want, value)) continue;
    throw notAsWritten(`${name}: ${column} holds ${show(value)}, not ${show(want)}`);
  }
}

/** The dialects return the same value in different clothes: 1 for true, "12" for a bigint. */
function same(a: unknown, b: unknown): boolean {
  const norm = (v: unknown) => (v === undefined || v === null ? null : typeof v === 'boolean' ? String(Number(v)) : String(v));
  return norm(a) === norm(b);
}

function show(v: unknown): string {
  return v === null || v === undefined ? 'null' : JSON.stringify(v);
}
