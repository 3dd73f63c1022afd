import { StoreError } from '../../../domain/errors.js';
import { storeFileExists } from '../../../store/permission.js';
import { MAX_FILE_BYTES } from '../../../domain/access-code/limits.js';
import type { Ctx } from '../../context.js';
import { tooLarge } from './access-file.js';

/** export, plan and test only read: a missing store is exit 6 naming the path, never a new empty store. */
export function requireExistingStore(ctx: Ctx): void {
  const { path, url } = ctx.globals().location;
  // A PostgreSQL store was judged when it connected: an empty database is already refused there.
  if (url === undefined && !storeFileExists(path)) {
    throw new StoreError(`no store at ${path}`, 'check --db/--session; `accessctl apply -f FILE` or `accessctl db init` creates one');
  }
}

/** Stdin's bytes, refused once they pass the access file's size bound (nothing more is held). */
export async function readAllStdin(ctx: Ctx): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of ctx.io.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    total += b.length;
    if (total > MAX_FILE_BYTES) throw tooLarge('<stdin>');
    parts.push(b);
  }
  return Buffer.concat(parts, total);
}
