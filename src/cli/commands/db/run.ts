import { closeSync, existsSync, openSync, unlinkSync } from 'node:fs';
import { ConflictError, StoreError } from '../../../domain/errors.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
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

/** Creates the store if it does not exist yet; an existing one is left as it is. */
export async function runDbInit(ctx: Ctx): Promise<Output> {
  const store = ctx.store();
  await store.init();
  return { kind: 'dbPath', records: [{ path: store.path, exists: true }] };
}

export async function runDbCheck(ctx: Ctx): Promise<Output> {
  const store = ctx.store();
  const chain = await checkAuditChain(store.db);
  const records = [
    ...(await store.checks()).map((c) => ({ ...c })),
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
