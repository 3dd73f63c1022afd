import type { Kysely, Transaction } from 'kysely';
import { ExitCode, UserError } from '../domain/errors.js';
import type { IdGenerator } from '../domain/ids.js';
import { refuseOverrideUnlessAllowed } from './clock-guard.js';
import type { AuditEntry } from '../domain/audit-events.js';
import { appendAudit, chainHead, type ChainHead } from './audit.js';
import { expectationsOf, notAsWritten, verifyExpectations, type Expectation, type TableName } from './read-back.js';
import type { Database, Db } from './tables.js';

export type { Db };

/** What a mutation sees: its transaction, one instant of "now", and the audit it must write. */
export interface Tx {
  readonly db: Transaction<Database>;
  readonly now: number;
  readonly ids: IdGenerator;
  audit(entry: AuditEntry): void;
  /** Writes the audit events recorded so far: long mutations call it to keep memory flat. */
  flushAudit(): Promise<void>;
  /**
   * What a row must hold when the command is done (null: it must be gone). Every expectation is
   * read back before COMMIT; a row that differs fails the command and changes nothing.
   */
  expect(table: TableName, key: Record<string, string>, row: Record<string, unknown> | null): void;
}

export interface MutationMeta {
  now: number;
  actor: string;
  ids: IdGenerator;
  /** `now` is not the machine's time (ACCESSCTL_NOW): allowed only on a store that opted in. */
  clockOverridden?: boolean;
}

export interface MutateOptions<T> {
  /**
   * The last step before COMMIT, once every row and audit event is written and read back: a new
   * secret is written to stdout here, so that a token nobody received never exists (SPEC §5).
   * It is the one thing a transaction may wait on that is not the database: one small
   * synchronous write.
   */
  deliver?: (result: T) => Promise<void> | void;
  /** Builds the command's output from the store inside the transaction, once the writes are read back. */
  readBack?: (result: T, db: Transaction<Database>) => Promise<void>;
}

/**
 * Runs `work` and its audit events as one BEGIN IMMEDIATE transaction: all or nothing.
 * `work` must not await anything but the database, so the write lock is held briefly.
 */
export async function mutate<T>(db: Db, meta: MutationMeta, work: (tx: Tx) => Promise<T>, options: MutateOptions<T> = {}): Promise<T> {
  let delivered = false;
  try {
    return await db.transaction().execute(async (trx) => {
      // Every write passes here, so the clock rule is decided once, for every command.
      if (meta.clockOverridden) await refuseOverrideUnlessAllowed(trx, meta.now);
      let entries: AuditEntry[] = [];
      let expectations: Expectation[] = [];
      let head: ChainHead | null = null;
      let start = 0;
      let appended = 0;
      // Each batch of events is preceded by the read-back of the rows it reports (read-back.ts).
      const flushAudit = async () => {
        const expected = expectations;
        expectations = [];
        await verifyExpectations(trx, expected);
        if (entries.length === 0) return;
        if (!head) {
          head = await chainHead(trx);
          start = head.seq;
        }
        const batch = entries;
        entries = [];
        await appendAudit(trx, batch, { at: meta.now, actor: meta.actor, ids: meta.ids }, head);
        appended += batch.length;
      };
      const tx: Tx = {
        db: trx,
        now: meta.now,
        ids: meta.ids,
        audit: (e) => {
          entries.push(e);
          for (const x of expectationsOf(e)) expectations.push(x);
        },
        flushAudit,
        expect: (table, key, row) => void expectations.push({ table, key, row }),
      };
      const result = await work(tx);
      await flushAudit();
      if (head) await verifyAudit(trx, start, appended, head);
      if (options.readBack) await options.readBack(result, trx);
      if (options.deliver) {
        await options.deliver(result);
        delivered = true;
      }
      return result;
    });
  } catch (err) {
    if (!delivered) throw err;
    // Only COMMIT can fail after the delivery: the secret on stdout belongs to nothing.
    const reason = err instanceof Error ? err.message : String(err);
    throw new UserError(
      'NOT_COMMITTED',
      err instanceof UserError ? err.exitCode : ExitCode.internal,
      `the change could not be committed (${reason}): the token printed above is void, nothing was changed`,
      'run the command again for a new token',
    );
  }
}

/**
 * A mutation whose output is read from the store inside its own transaction (SPEC §2, "Output
 * is what the store holds"): what another writer commits a moment later is not what it printed.
 */
export async function mutateAndRead<T, R>(db: Db, meta: MutationMeta, work: (tx: Tx) => Promise<T>, read: (result: T, db: Transaction<Database>) => Promise<R>): Promise<R> {
  let out: { value: R } | undefined;
  await mutate(db, meta, work, { readBack: async (result, trx) => void (out = { value: await read(result, trx) }) });
  return out!.value;
}

/** The audit events this mutation wrote are all there, and nothing else was appended with them. */
async function verifyAudit(trx: Transaction<Database>, start: number, appended: number, head: ChainHead): Promise<void> {
  const got = await trx
    .selectFrom('audit_events')
    .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.max('seq').as('last')])
    .where('seq', '>', start)
    .executeTakeFirstOrThrow();
  const last = await trx.selectFrom('audit_events').select('hash').where('seq', '=', head.seq).executeTakeFirst();
  if (Number(got.n) !== appended || Number(got.last) !== head.seq || last?.hash !== head.hash) {
    throw notAsWritten(`${appended} audit event(s) written after seq ${start}, ${Number(got.n)} stored`);
  }
}

/** Splits a list into slices small enough for one statement's bound parameters. */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
