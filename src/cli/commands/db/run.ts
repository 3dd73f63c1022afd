import { closeSync, existsSync, openSync, unlinkSync } from 'node:fs';
import { storeFileExists } from '../../../store/permission.js';
import { ConflictError, StoreError } from '../../../domain/errors.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { tokenFingerprint } from '../../../domain/audit-events.js';
import { newReplay, replayEvent, type Replay, type StateDifference } from '../../../domain/replay.js';
import { describeTimeFinding } from '../../../domain/log-time.js';
import { compareReplayWithStore } from '../../../store/compare-replay.js';
import { checkAuditChain } from '../audit/run.js';
import { LATEST_VERSION } from '../../../store/sqlite/schema.js';
import { inReadSnapshot } from '../../../store/read-snapshot.js';
import { restoreHint } from '../../../store/restore-hint.js';
import type { Store } from '../../../store/store.js';

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
  // A store this account may not open is exit 6, as for any other command: "exists false" would
  // be a guess (a directory it may not search), and "true" a store it cannot use.
  const { path } = location;
  return { kind: 'dbPath', records: [{ path, exists: storeFileExists(path) }] };
}

/** Too much granted is fixed by revoking it, not by a restore: the data is what it was. */
const PRIVILEGES_HINT = 'revoke what the privileges check names, as the owner; accessctl db grant prints what each role needs';

export async function runDbCheck(ctx: Ctx): Promise<Output> {
  const store = ctx.store();
  const { records, older } = await storeCheckRecords(store, ctx.clock.now());
  const failed = [...new Set(records.filter((r) => !r.ok).map((r) => r.check))];
  return {
    kind: 'dbCheck',
    records,
    after:
      failed.length > 0
        ? new StoreError(`store check failed: ${failed.join(', ')}`, older ? 'run: accessctl db migrate (a backup first: accessctl db backup FILE)' : failed.join() === 'privileges' ? PRIVILEGES_HINT : restoreHint(store.dialect))
        : undefined,
  };
}

/**
 * Everything `db check` judges, in one read snapshot: the chain is verified and replayed
 * together, then the result is compared with the tables as they were at that same moment,
 * whatever writers do meanwhile. `older`: a store of an older schema, read as it is (reads never
 * migrate), whose log replays only once migrated.
 */
export async function storeCheckRecords(store: Store, now: number): Promise<{ records: Array<{ check: string; ok: boolean; detail: string }>; older: boolean }> {
  const older = store.schema?.()?.migratedFrom === null && (store.schema?.()?.version ?? LATEST_VERSION) < LATEST_VERSION;
  const records = await inReadSnapshot(store, async (db) => {
    const replay = newReplay({ packed: true });
    const chain = await checkAuditChain(db, (e, details) => replayEvent(replay, e, details), { now });
    return [
      ...(await store.checks()).map((c) => ({ ...c })),
      { check: 'auditChain', ok: chain.ok, detail: chain.ok ? `${chain.events} events verified` : `broken at seq ${chain.brokenSeq}: ${chain.reason}` },
      // Listed only when found, so the checks of a sound store read as they always have.
      ...chain.time.map((f) => ({ check: 'auditTime', ok: false, detail: describeTimeFinding(f) })),
      ...(older
        ? [{ check: 'replay', ok: false, detail: `not run: a schema ${store.schema?.()?.version} log has no snapshot to replay from until accessctl db migrate` }]
        : chain.ok
          ? replayChecks(replay, await compareReplayWithStore(db, replay, tokenFingerprint, now))
          : [{ check: 'replay', ok: false, detail: 'not run: the audit chain is broken' }]),
    ];
  });
  return { records, older };
}

/**
 * The state replayed from the log against the live tables: one record per difference, naming
 * table, id and field, so a planted membership or a swapped token hash is found by name.
 */
function replayChecks(replay: Replay, differences: StateDifference[]) {
  const start =
    replay.startSeq === null ? 'an empty log' : replay.skipped > 0 ? `seq ${replay.startSeq} (the schema 2 snapshot; ${replay.skipped} format 1 events before it are checked by the chain only)` : `seq ${replay.startSeq}`;
  const out: Array<{ check: string; ok: boolean; detail: string }> = [];
  for (const a of replay.anomalies) out.push({ check: 'replay', ok: false, detail: `seq ${a.seq}: ${a.table} ${a.id}: ${a.problem}` });
  for (const d of differences) {
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
    throw backupError(err, file);
  }
}

/** A failure while writing the copy is about the copy's file, not the store being read. */
function backupError(err: unknown, file: string): unknown {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return new StoreError(`disk full while writing ${file}`, 'free some space there, or write the backup elsewhere; the store is unchanged');
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_READONLY' || code === 'EIO') {
    return new StoreError(`cannot write backup ${file} (${code})`, 'check the target directory and its disk; the store is unchanged');
  }
  return err;
}
