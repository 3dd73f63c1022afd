import { NotFoundError } from '../domain/errors.js';
import { assertIdShape, looksLikeId } from '../domain/ids.js';
import { nameKey } from '../domain/validate.js';
import type { Db } from './mutate.js';
import type { GroupsTable } from './tables.js';

export async function findGroup(db: Db, ref: string): Promise<GroupsTable | undefined> {
  const q = db.selectFrom('groups').selectAll();
  if (looksLikeId('group', ref)) return q.where('id', '=', ref).executeTakeFirst();
  return q.where('name_key', '=', nameKey(ref)).executeTakeFirst();
}

export async function getGroup(db: Db, ref: string): Promise<GroupsTable> {
  const row = await findGroup(db, ref);
  if (row) return row;
  assertIdShape('group', ref);
  throw new NotFoundError(`group ${JSON.stringify(ref.slice(0, 80))} not found`, 'pass a group id (grp_…) or name; see accessctl group list');
}

export interface GroupFilter {
  /** true: only groups past their expiry (awaiting sweep); false/undefined: only unexpired ones. */
  expired?: boolean | undefined;
  /** Only groups with an expiry. */
  ephemeral?: boolean | undefined;
}

/** Groups in pages of `pageSize`, keyset-paginated by id so memory stays bounded. */
export async function* groupPages(db: Db, filter: GroupFilter, now: number, pageSize = 500): AsyncIterable<GroupsTable[]> {
  let after = '';
  for (;;) {
    let q = db.selectFrom('groups').selectAll().where('id', '>', after);
    if (filter.expired) q = q.where('expires_at', 'is not', null).where('expires_at', '<=', now);
    else q = q.where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
    if (filter.ephemeral) q = q.where('expires_at', 'is not', null);
    const page = await q.orderBy('id').limit(pageSize).execute();
    if (page.length === 0) return;
    yield page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.id;
  }
}
