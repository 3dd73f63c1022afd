import { NotFoundError } from '../domain/errors.js';
import { assertIdShape, looksLikeId } from '../domain/ids.js';
import { nameKey } from '../domain/validate.js';
import { confirmed } from './index-guard.js';
import type { Db } from './mutate.js';
import type { ServicesTable } from './tables.js';

export async function findService(db: Db, ref: string): Promise<ServicesTable | undefined> {
  const q = db.selectFrom('services').selectAll();
  if (looksLikeId('service', ref)) return confirmed(db, await q.where('id', '=', ref).executeTakeFirst(), 'services', 'id', ref);
  const key = nameKey(ref);
  return confirmed(db, await q.where('name_key', '=', key).executeTakeFirst(), 'services', 'name_key', key);
}

export async function getService(db: Db, ref: string): Promise<ServicesTable> {
  const row = await findService(db, ref);
  if (row) return row;
  assertIdShape('service', ref);
  throw new NotFoundError(`service ${JSON.stringify(ref.slice(0, 80))} not found`, 'pass a service id (svc_…) or name; see accessctl service list');
}
