import { closeSync, existsSync, openSync, unlinkSync } from 'node:fs';
import { ConflictError, StoreError } from '../../../domain/errors.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { tokenFingerprint } from '../../../domain/audit-events.js';
import { diffStates, newReplay, replayEvent } from '../../../domain/replay.js';
import { describeTimeFinding } from '../../../domain/log-time.js';
import { diffTokens } from '../../../domain/token-replay.js';
import { loadExchangeTokens, loadState } from '../../../store/load-state.js';
import { checkAuditChain } from '../audit/run.js';

export async function runDbPath(ctx: Ctx): Promise<Output> {
  const location = ctx.globals().location;
  if (location.url !== undefined) {
    // A database "exists" as a store once it holds the schema; an unreachable one does not.
    let exists = false;
    try {
      const store = ctx.store();
      await store.connect?.();
      exists = (await store.checks()).some((c) => c.check === 'schema' && c.ok);
    } catch {
      exists = false;
    }
    return { kind: 'dbPath', records: [{ path: location.path, exists }] };
  }
  const { path } = location;
  return { kind: 'dbPath', records: [{ path, exists: existsSync(path) }] };
}

export async function runDbCheck(ctx: Ctx): Promise<Output> {
  const store = ctx.store();
  // One pass: the chain is verified and replayed together, then the result is compared with the tables.
  const replay = newReplay();
  const chain = await checkAuditChain(store.db, (e, details) => replayEvent(replay, e, details), { now: ctx.clock.now() });
  const records = [
    ...(await store.checks()).map((c) => ({ ...c })),
    { check: 'auditChain', ok: chain.ok, detail: chain.ok ? `${chain.events} events verified` : `broken at seq ${chain.brokenSeq}: ${chain.reason}` },
    // Listed only when found, so the checks of a sound store read as they always have.
    ...chain.time.map((f) => ({ check: 'auditTime', ok: false, detail: describeTimeFinding(f) })),
    ...(chain.ok ? replayChecks(replay, await loadState(store.db), await loadExchangeTokens(store.db), ctx.clock.now()) : [{ check: 'replay', ok: false, detail: 'not run: the audit chain is broken' }]),
  ];
  const failed = [...new Set(records.filter((r) => !r.ok).map((r) => r.check))];
  return {
    kind: 'dbCheck',
    records,
    after: failed.length > 0 ? new StoreError(`store check failed: ${failed.join(', ')}`, 'restore from a backup (accessctl db backup)') : undefined,
  };
}

/**
 * The state replayed from the log against the live tables: one record per difference, naming
 * table, id and field, so a planted membership or a swapped token hash is found by name.
 */
function replayChecks(replay: ReturnType<typeof newReplay>, live: Awaited<ReturnType<typeof loadState>>, tokens: Awaited<ReturnType<typeof loadExchangeTokens>>, now: number) {
  const start =
    replay.startSeq === null ? 'an empty log' : replay.skipped > 0 ? `seq ${replay.startSeq} (the schema 2 snapshot; ${replay.skipped} format 1 events before it are checked by the chain only)` : `seq ${replay.startSeq}`;
  const out: Array<{ check: string; ok: boolean; detail: string }> = [];
  for (const a of replay.anomalies) out.push({ check: 'replay', ok: false, detail: `seq ${a.seq}: ${a.table} ${a.id}: ${a.problem}` });
  for (const d of [...diffStates(replay.state, live, tokenFingerprint), ...diffTokens(replay, tokens, tokenFingerprint, now)]) {
    const what =
      d.field === null
        ? d.live === 'present'
          ? 'in the store but not in the audit log'
          : 'in the audit log but missing from the store'
        : `${d.field} is ${JSON.stringify(d.live)} in the store, ${JSON.stringify(d.replayed)} by the audit log`;
    out.push({ check: 'replay', ok: false, detail: `${d.table} ${d.id}${d.field === null ? '' : ` ${d.field}`}: ${what}` });
  }
  if (out.length === 0) out.push({ check: 'replay', ok: true, detail: `state matches the audit log (replayed from ${start})` });
  else out.unshift({ check: 'replay', ok: false, detail: `${out.length} difference(s) between the store and its audit log (replayed from ${start})` });
  return out;
}

/** A consistent online copy through SQLite's backup API, created 0600. */
export async function runDbBackup(file: string, ctx: Ctx): Promise<Output> {
  const store = ctx.store();
  // PostgreSQL has its own tool for this; say so before any file is created.
  if (store.dialect === 'postgres') await store.backup(file);
  if (existsSync(file)) throw new ConflictError(`${file} already exists`, 'choose a new file name; a backup never overwrites');
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (err) {
    throw new StoreError(`cannot create ${file}: ${(err as NodeJS.ErrnoException).code}`, 'check the directory exists and is writable');
  }
  try {
    const copy = await store.backup(file);
    return { kind: 'backup', records: [{ path: file, ...copy }] };
  } catch (err) {
    unlinkSync(file);
    throw err;
  }
}
