import { matchesSearch, searchCondition } from './search.js';
import { sql } from 'kysely';
import { NotFoundError } from '../domain/errors.js';
import { assertIdShape, looksLikeId } from '../domain/ids.js';
import { nameKey } from '../domain/validate.js';
import { confirmed } from './index-guard.js';
import type { Db } from './mutate.js';
import type { GroupsTable } from './tables.js';

export async function findGroup(db: Db, ref: string): Promise<GroupsTable | undefined> {
  const q = db.selectFrom('groups').selectAll();
  if (looksLikeId('group', ref)) return confirmed(db, await q.where('id', '=', ref).executeTakeFirst(), 'groups', 'id', ref);
  const key = nameKey(ref);
  return confirmed(db, await q.where('name_key', '=', key).executeTakeFirst(), 'groups', 'name_key', key);
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
  /** Only groups with a live membership of this user / service, or a live assignment of this resource (ids). */
  userId?: string | undefined;
  serviceId?: string | undefined;
  resourceId?: string | undefined;
  /** Part of the name, case-insensitively. */
  search?: string | undefined;
  /** Only groups expiring within this many milliseconds from now. */
  expiringWithin?: number | undefined;
}

/** Groups in pages of `pageSize`, sorted by name and keyset-paginated by it so memory stays bounded. */
export async function* groupPages(db: Db, filter: GroupFilter, now: number, pageSize = 500): AsyncIterable<GroupsTable[]> {
  let after = '';
  const live = (table: 'group_users' | 'group_services' | 'group_resources', column: 'user_id' | 'service_id' | 'resource_id', id: string) =>
    sql<boolean>`id in (select group_id from ${sql.table(table)} where ${sql.ref(column)} = ${id} and (expires_at is null or expires_at > ${now}))`;
  for (;;) {
    let q = db.selectFrom('groups').selectAll().where('name_key', '>', after);
    if (filter.expired) q = q.where('expires_at', 'is not', null).where('expires_at', '<=', now);
    else q = q.where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
    if (filter.ephemeral) q = q.where('expires_at', 'is not', null);
    if (filter.expiringWithin !== undefined) q = q.where('expires_at', 'is not', null).where('expires_at', '<=', now + filter.expiringWithin);
    if (filter.userId !== undefined) q = q.where(live('group_users', 'user_id', filter.userId));
    if (filter.serviceId !== undefined) q = q.where(live('group_services', 'service_id', filter.serviceId));
    if (filter.resourceId !== undefined) q = q.where(live('group_resources', 'resource_id', filter.resourceId));
    const where = filter.search ? searchCondition(db, ['name'], filter.search) : null;
    if (where !== null) q = q.where(where);
    const page = await q.orderBy('name_key').limit(pageSize).execute();
    if (page.length === 0) return;
    // PostgreSQL: matched here, with the same fold (store/search.ts); the page still ends by key.
    const search = filter.search;
    yield search && where === null ? page.filter((g) => matchesSearch([g.name], search)) : page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.name_key;
  }
}
