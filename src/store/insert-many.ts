import type { CompiledQuery, Kysely, QueryResult } from 'kysely';
import { notAsWritten } from './read-back.js';

/**
 * Inserts many rows of one shape in batches. Kysely compiles the statement for the first full
 * batch; later full batches reuse that SQL with their own parameters, so a 100,000-row insert
 * does not build and compile the same query 500 times. Rows must all have the same keys, in
 * the same order.
 */
export async function insertMany<DB, T extends keyof DB & string>(db: Kysely<DB>, table: T, rows: ReadonlyArray<Record<string, unknown>>, batch = 200): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  // SQLite binds at most 32,766 parameters per statement.
  const size = Math.max(1, Math.min(batch, Math.floor(30_000 / columns.length)));
  let compiled: CompiledQuery | null = null;
  const loose = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  for (let i = 0; i < rows.length; i += size) {
    const part = rows.slice(i, i + size);
    const parameters = part.flatMap((r) => columns.map((c) => r[c]));
    if (part.length === size && compiled) {
      inserted(table, part.length, await db.executeQuery({ ...compiled, parameters }));
      continue;
    }
    const query = loose.insertInto(table).values(part as Array<Record<string, unknown>>).compile();
    // Reuse only what provably binds the same way: Kysely's own parameters for this batch.
    if (part.length === size && sameParameters(query.parameters, parameters)) compiled = query;
    inserted(table, part.length, await db.executeQuery(query));
  }
}

/** Every row went in: a trigger that drops some (RAISE(IGNORE)) fails the command instead. */
function inserted(table: string, want: number, result: QueryResult<unknown>): void {
  if (result.numAffectedRows !== undefined && Number(result.numAffectedRows) !== want) {
    throw notAsWritten(`${want} row(s) inserted into ${table}, ${Number(result.numAffectedRows)} stored`);
  }
}

function sameParameters(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
