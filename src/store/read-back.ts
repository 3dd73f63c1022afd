import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { PRIMARY_KEY, type AuditEntry } from '../domain/audit-events.js';
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
  /** Only some columns (an update): added to what an earlier write to the row expects. */
  merge?: boolean;
}

const HINT = 'something in the store (a trigger or rule) altered the write; nothing was changed; run accessctl db check';

export function notAsWritten(what: string): StoreError {
  return new StoreError(`the store did not take the write: ${what}`, HINT);
}

/**
 * The rows an audit event says it changed, as expectations: every event carries its row-level
 * changes (domain/audit-events.ts), so every mutation of every noun is read back without saying
 * more than it already logs. An update states only the columns it changed.
 */
export function expectationsOf(entry: AuditEntry): Expectation[] {
  const changes = (entry.details as { changes?: unknown } | undefined)?.changes;
  if (!Array.isArray(changes)) return [];
  const out: Expectation[] = [];
  for (const c of changes as Array<Record<string, unknown>>) {
    const table = c.table as TableName;
    const columns = (PRIMARY_KEY as Record<string, readonly string[] | undefined>)[table] ?? ['id'];
    if (c.op === 'update') out.push({ table, key: stringKey(c.key as Record<string, unknown>, columns), row: c.to as Record<string, unknown>, merge: true });
    else if (c.op === 'insert') out.push({ table, key: stringKey(c.row as Record<string, unknown>, columns), row: c.row as Record<string, unknown> });
    else if (c.op === 'delete') out.push({ table, key: stringKey(c.row as Record<string, unknown>, columns), row: null });
  }
  return out;
}

function stringKey(row: Record<string, unknown>, columns: readonly string[]): Record<string, string> {
  return Object.fromEntries(columns.map((c) => [c, String(row[c])]));
}

/** Reads every expected row back and compares each column the command set with what is stored. */
export async function verifyExpectations(db: Kysely<Database>, expectations: readonly Expectation[]): Promise<void> {
  if (expectations.length === 0) return;
  // Several writes to one row in one command add up: a rename then a revoke, a create then a delete.
  const latest = new Map<string, Expectation>();
  for (const e of expectations) {
    const id = `${e.table}\u0000${JSON.stringify(e.key)}`;
    const prev = latest.get(id);
    latest.set(id, e.merge && prev?.row ? { ...e, row: { ...prev.row, ...e.row } } : e);
  }
  const byTable = new Map<TableName, Expectation[]>();
  for (const e of latest.values()) {
    const list = byTable.get(e.table);
    if (list) list.push(e);
    else byTable.set(e.table, [e]);
  }
  for (const [table, list] of byTable) {
    const columns = Object.keys(list[0]!.key);
    for (let i = 0; i < list.length; i += 400) {
      const part = list.slice(i, i + 400);
      const rows = await readRows(db, table, columns, part);
      const found = new Map(rows.map((r) => [JSON.stringify(columns.map((c) => String(r[c]))), r]));
      for (const e of part) compare(e, found.get(JSON.stringify(columns.map((c) => e.key[c]))));
    }
  }
}

/** The rows with these keys, in one statement: `id IN (…)`, or `(a, b) IN (VALUES …)` for a link. */
async function readRows(db: Kysely<Database>, table: TableName, columns: readonly string[], part: readonly Expectation[]): Promise<Array<Record<string, unknown>>> {
  const loose = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  if (columns.length === 1) {
    const column = columns[0]!;
    return loose
      .selectFrom(table)
      .selectAll()
      .where(
        column,
        'in',
        part.map((e) => e.key[column]!),
      )
      .execute();
  }
  const refs = sql.join(columns.map((c) => sql.ref(c)));
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  // The keys are text. PostgreSQL types a VALUES list as text, which an integer key column
  // (review_items.item) cannot be compared with: such a column's values are cast to its type.
  // (A list of row values, `(a, b) IN ((…), (…))`, would keep the types but is planned as an OR
  // scanning the table: a sweep of 100,000 memberships took 40 s instead of 1.) The keys go in
  // key order, so a probe of the primary key reads page after page.
  const value = (c: string, v: string) => (postgres && PG_INTEGER_KEYS.has(`${table}.${c}`) ? sql`CAST(${v} AS integer)` : sql`${v}`);
  const sorted = [...part].sort((x, y) => compareKeys(columns, x.key, y.key));
  const values = sql.join(sorted.map((e) => sql`(${sql.join(columns.map((c) => value(c, e.key[c]!)))})`));
  // SQLite wants a subquery on the right of a row-value IN.
  const r = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)} WHERE (${refs}) IN (VALUES ${values})`.execute(db);
  return r.rows;
}

/** Key columns that are not text on PostgreSQL (schema.ts); every other key is an id or a name. */
const PG_INTEGER_KEYS = new Set(['review_items.item']);

function compareKeys(columns: readonly string[], a: Record<string, string>, b: Record<string, string>): number {
  for (const c of columns) if (a[c] !== b[c]) return a[c]! < b[c]! ? -1 : 1;
  return 0;
}

function compare(e: Expectation, stored: Record<string, unknown> | undefined): void {
  const name = `${e.table} ${Object.values(e.key).join(' ')}`;
  if (e.row === null) {
    if (stored) throw notAsWritten(`${name} is still there after it was deleted`);
    return;
  }
  if (!stored) throw notAsWritten(`${name} is missing after it was written`);
  for (const [column, value] of Object.entries(stored)) {
    const want = e.row[column];
    // A column the command did not state (or left undefined, which a write skips) is not judged.
    if (want === undefined || same(want, value)) continue;
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
