import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Kysely } from 'kysely';
import { objectCreated, objectUpdated } from '../domain/audit-events.js';
import { prepareBulkWrite } from '../store/store.js';
import { insertMany } from '../store/insert-many.js';
import { mutate, type Tx } from '../store/mutate.js';
import type { OutputRecord } from '../output/fields.js';
import type { Ctx } from './context.js';
import { diff, meta } from './commands/shared.js';
import { importErrors, MAX_REPORTED_ERRORS, type ImportRows, type RowError } from './csv-import.js';

export type { ValidRow as ImportRow } from './csv-import.js';

export interface UpsertSpec<R extends { id: string }> {
  table: 'users' | 'resources';
  keyColumn: 'email_key' | 'name_key';
  /** The column the key is derived from (email, name). */
  nameColumn: 'email' | 'name';
  kind: 'user' | 'resource';
  /** A complete new row from a patch, or a message why the row cannot create one. */
  create(patch: Partial<R>, id: string, now: number): R | string;
}

/** Rows looked up, written and audited at a time. */
const CHUNK = 1000;

/**
 * Upserts every row in one transaction (or, for a dry run, only computes the changes), a chunk
 * at a time: look up the chunk's keys, insert the new rows in multi-row statements, update only
 * where a field really changes, audit each. The changes to print are spooled to a private file
 * and streamed out once the transaction has committed, so memory holds one chunk, not the file.
 */
export async function upsertRows<R extends { id: string }>(ctx: Ctx, spec: UpsertSpec<R>, rows: ImportRows<R>, dryRun: boolean): Promise<AsyncIterable<OutputRecord>> {
  const spoolDir = mkdtempSync(join(tmpdir(), 'accessctl-changes-'));
  const spool = join(spoolDir, 'changes.ndjson');
  const done = () => {
    rmSync(spoolDir, { recursive: true, force: true });
    rows.cleanup();
  };
  let created = 0;
  let changed = 0;
  const plan = async (tx: Tx | null): Promise<void> => {
    // users and resources share the upsert; a loosely typed handle lets one function serve both.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const db = (tx?.db ?? ctx.store().db) as unknown as Kysely<any>;
    const now = tx?.now ?? ctx.clock.now();
    const out = openSync(spool, 'w', 0o600);
    created = 0;
    changed = 0;
    const problems: RowError[] = [];
    let problemCount = 0;
    try {
      await rows.eachChunk(CHUNK, async (chunk) => {
        const existing = new Map<string, R>();
        const found = (await db.selectFrom(spec.table).selectAll().where(spec.keyColumn, 'in', chunk.map((r) => r.key)).execute()) as unknown as R[];
        for (const r of found) existing.set((r as Record<string, unknown>)[spec.keyColumn] as string, r);
        const inserts: R[] = [];
        let text = '';
        for (const row of chunk) {
          const before = existing.get(row.key);
          if (!before) {
            const made = spec.create(row.patch, ctx.ids.id(spec.kind), now);
            if (typeof made === 'string') {
              problemCount++;
              if (problems.length < MAX_REPORTED_ERRORS) problems.push({ line: row.line, message: made });
              continue;
            }
            inserts.push(made);
            created++;
            const { id: _id, ...fields } = diffNew(made);
            text += `${JSON.stringify({ line: row.line, action: 'create', id: tx ? made.id : null, name: row.name, changes: fields })}\n`;
            tx?.audit(objectCreated(spec.kind, made, [], { action: `${spec.kind}.import.create`, cause: 'import', extra: { line: row.line } }));
            continue;
          }
          // The key column matched case-insensitively; a change of case alone is not an update.
          const patch = { ...row.patch };
          delete (patch as Record<string, unknown>)[spec.nameColumn];
          const fieldChanges = diff(before, patch);
          if (Object.keys(fieldChanges).length === 0) continue;
          changed++;
          text += `${JSON.stringify({ line: row.line, action: 'update', id: before.id, name: row.name, changes: fieldChanges })}\n`;
          if (tx) {
            await db
              .updateTable(spec.table)
              .set({ ...patch, updated_at: now })
              .where('id', '=', before.id)
              .execute();
            tx.audit(objectUpdated(spec.kind, before, { ...before, ...patch, updated_at: now }, { action: `${spec.kind}.import.update`, cause: 'import', extra: { line: row.line } }));
          }
        }
        // Once a row is known to fail, nothing more is written: the rest is only checked.
        if (tx && problemCount === 0) {
          await insertMany(db, spec.table, inserts as unknown as Array<Record<string, unknown>>);
          await tx.flushAudit();
        }
        writeSync(out, text);
      });
    } finally {
      closeSync(out);
    }
    if (problemCount > 0) throw importErrors(problems, problemCount);
  };
  try {
    if (dryRun) await plan(null);
    else {
      prepareBulkWrite(ctx.store());
      await mutate(ctx.store().db, meta(ctx), plan);
    }
  } catch (err) {
    done();
    throw err;
  }
  const verb = dryRun ? 'dry run, nothing changed: would create' : 'created';
  ctx.note(`${verb} ${created}, ${dryRun ? 'update' : 'updated'} ${changed}, unchanged ${rows.count - created - changed} (${rows.count} rows)`);
  return readSpool(spool, done);
}

/** The spooled changes, one record a line, then the spool is removed. */
async function* readSpool(file: string, done: () => void): AsyncIterable<OutputRecord> {
  try {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const line of lines) if (line !== '') yield JSON.parse(line) as OutputRecord;
  } finally {
    done();
  }
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
