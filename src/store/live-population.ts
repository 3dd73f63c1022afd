import { emptyState, linkKey, type State } from '../domain/state.js';
import { bySortKey, membershipsBySubject, pathTablesOf, subjectGrants, type Grant, type Membership, type PopulationFilter } from '../domain/population-stream.js';
import type { Db } from './mutate.js';
import type { UsersTable } from './tables.js';

/** Users whose memberships one query reads: bounded memory, few round trips. */
const BATCH = 500;

/**
 * The live tables an access population reads (users narrowed to the columns it reads), all but the memberships of users (the one large
 * table): those are read a batch of users at a time by `livePopulation`.
 */
export async function loadAccessTables(db: Db): Promise<State> {
  const s = emptyState();
  // Of the users, only what the rule, the order and a lookup by email read: there are many.
  for (const r of await db.selectFrom('users').select(['id', 'email', 'email_key', 'state']).execute()) s.users.set(r.id, r as UsersTable);
  for (const r of await db.selectFrom('resources').selectAll().execute()) s.resources.set(r.id, r);
  for (const r of await db.selectFrom('groups').selectAll().execute()) s.groups.set(r.id, r);
  for (const r of await db.selectFrom('services').selectAll().execute()) s.services.set(r.id, r);
  for (const r of await db.selectFrom('group_resources').selectAll().execute()) s.groupResources.set(linkKey(r.group_id, r.resource_id), r);
  for (const r of await db.selectFrom('group_services').selectAll().execute()) s.groupServices.set(linkKey(r.group_id, r.service_id), r);
  for (const r of await db.selectFrom('service_resources').selectAll().execute()) s.serviceResources.set(linkKey(r.service_id, r.resource_id), r);
  return s;
}

/**
 * The live population in the order `population` gives (users by email, then services by name),
 * yielded subject by subject: users' memberships are read in batches of users in that order.
 * `tables` comes from loadAccessTables (its users hold only the columns the rule reads).
 */
export async function* livePopulation(db: Db, tables: State, at: number, filter: PopulationFilter = {}): AsyncGenerator<Grant> {
  const t = pathTablesOf(tables, filter.resourceId);
  if (filter.subjectKind === undefined || filter.subjectKind === 'user') {
    const users = filter.subjectId !== undefined ? [tables.users.get(filter.subjectId)].filter((u) => u !== undefined) : [...tables.users.values()].sort(bySortKey);
    for (let i = 0; i < users.length; i += BATCH) {
      const batch = users.slice(i, i + BATCH);
      const rows = await db
        .selectFrom('group_users')
        .selectAll()
        .where(
          'user_id',
          'in',
          batch.map((u) => u.id),
        )
        .execute();
      const byUser = new Map<string, Membership[]>();
      for (const m of rows) {
        const list = byUser.get(m.user_id);
        if (list) list.push(m);
        else byUser.set(m.user_id, [m]);
      }
      for (const u of batch) {
        const memberships = byUser.get(u.id);
        if (memberships) yield* subjectGrants('user', u, memberships, t, at, filter.groupId);
      }
    }
  }
  if (filter.subjectKind === undefined || filter.subjectKind === 'service') {
    const bySubject = membershipsBySubject(tables, 'service');
    const ids = filter.subjectId !== undefined ? [filter.subjectId] : new Set([...bySubject.keys(), ...t.directByService.keys()]);
    const services = [...ids].map((id) => tables.services.get(id)).filter((s) => s !== undefined).sort(bySortKey);
    for (const s of services) yield* subjectGrants('service', s, bySubject.get(s.id) ?? [], t, at, filter.groupId);
  }
}
