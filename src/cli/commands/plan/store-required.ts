import { existsSync } from 'node:fs';
import { StoreError } from '../../../domain/errors.js';
import type { Ctx } from '../../context.js';

/** export, plan and test only read: a missing store is exit 6 naming the path, never a new empty store. */
export function requireExistingStore(ctx: Ctx): void {
  const { path, url } = ctx.globals().location;
  // A PostgreSQL store was judged when it connected: an empty database is already refused there.
  if (url === undefined && !existsSync(path)) {
    throw new StoreError(`no store at ${path}`, 'check --db/--session; `accessctl apply -f FILE` or `accessctl db init` creates one');
  }
}

export async function readAllStdin(ctx: Ctx): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of ctx.io.stdin) parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(parts).toString('utf8');
}
