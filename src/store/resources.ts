import { filterRows, matchesSearch, searchCondition } from './search.js';
import { NotFoundError } from '../domain/errors.js';
import { assertIdShape, looksLikeId } from '../domain/ids.js';
import { nameKey } from '../domain/validate.js';
import { confirmed } from './index-guard.js';
import type { Db } from './mutate.js';
import type { ResourcesTable } from './tables.js';

export async function findResource(db: Db, ref: string): Promise<ResourcesTable | undefined> {
  const q = db.selectFrom('resources').selectAll();
  if (looksLikeId('resource', ref)) return confirmed(db, await q.where('id', '=', ref).executeTakeFirst(), 'resources', 'id', ref);
  const key = nameKey(ref);
  return confirmed(db, await q.where('name_key', '=', key).executeTakeFirst(), 'resources', 'name_key', key);
}

export async function getResource(db: Db, ref: string): Promise<ResourcesTable> {
  const row = await findResource(db, ref);
  if (row) return row;
  assertIdShape('resource', ref);
  throw new NotFoundError(`resource ${JSON.stringify(ref.slice(0, 80))} not found`, 'pass a resource id (res_…) or name; see accessctl resource list');
}

export function streamResources(db: Db, filter: { active?: boolean | undefined; search?: string | undefined }) {
  let q = db.selectFrom('resources').selectAll();
  if (filter.active !== undefined) q = q.where('is_active', '=', filter.active ? 1 : 0);
  const search = filter.search;
  if (search) {
    const where = searchCondition(db, ['name', 'address', 'alias'], search);
    if (where === null) return filterRows(q.orderBy('name_key').stream(), (r) => matchesSearch([r.name, r.address, r.alias], search));
    q = q.where(where);
  }
  return q.orderBy('name_key').stream();
}
