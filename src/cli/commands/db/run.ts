import { chmodSync, closeSync, existsSync, openSync, statSync, unlinkSync } from 'node:fs';
import { ConflictError, StoreError } from '../../../domain/errors.js';
import { LATEST_VERSION } from '../../../store/schema.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { checkAuditChain } from '../audit/run.js';

export async function runDbPath(ctx: Ctx): Promise<Output> {
  const { path } = ctx.globals().location;
  return { kind: 'dbPath', records: [{ path, exists: existsSync(path) }] };
}

export async function runDbCheck(ctx: Ctx): Promise<Output> {
  const store = ctx.store();
  const integrity = (store.sqlite.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
  const fk = store.sqlite.pragma('foreign_key_check') as unknown[];
  const version = store.sqlite.pragma('user_version', { simple: true }) as number;
  const chain = await checkAuditChain(store.db);
  const records = [
    { check: 'integrity', ok: integrity.length === 1 && integrity[0] === 'ok', detail: integrity.slice(0, 5).join('; ') },
    { check: 'foreignKeys', ok: fk.length === 0, detail: fk.length === 0 ? 'ok' : `${fk.length} dangling reference(s)` },
    { check: 'schema', ok: version === LATEST_VERSION, detail: `version ${version}` },
    { check: 'auditChain', ok: chain.ok, detail: chain.ok ? `${chain.events} events verified` : `broken at seq ${chain.brokenSeq}: ${chain.reason}` },
  ];
  const failed = records.filter((r) => !r.ok).map((r) => r.check);
  return {
    kind: 'dbCheck',
    records,
    after: failed.length > 0 ? new StoreError(`store check failed: ${failed.join(', ')}`, 'restore from a backup (accessctl db backup)') : undefined,
  };
}

/** A consistent online copy through SQLite's backup API, created 0600. */
export async function runDbBackup(file: string, ctx: Ctx): Promise<Output> {
  const store = ctx.store();
  if (existsSync(file)) throw new ConflictError(`${file} already exists`, 'choose a new file name; a backup never overwrites');
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (err) {
    throw new StoreError(`cannot create ${file}: ${(err as NodeJS.ErrnoException).code}`, 'check the directory exists and is writable');
  }
  try {
    const progress = await store.sqlite.backup(file);
    chmodSync(file, 0o600);
    return { kind: 'backup', records: [{ path: file, bytes: statSync(file).size, pages: progress.totalPages }] };
  } catch (err) {
    unlinkSync(file);
    throw err;
  }
}
