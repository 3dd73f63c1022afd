import type { ExpressionBuilder } from 'kysely';
import { canonicalJson } from '../domain/canonical-json.js';
import type { Db } from './mutate.js';
import type { ReviewItemsTable } from './tables.js';

/** What a review covers (SPEC section 16). */
export type ReviewScope = { kind: 'all' } | { kind: 'group'; id: string } | { kind: 'resource'; id: string };

/** One grant as frozen, before it is numbered and decided. */
export type FrozenGrant = Omit<ReviewItemsTable, 'review_id' | 'item' | 'decision' | 'decided_by' | 'decider_id' | 'decided_at' | 'reason' | 'outcome'>;

interface LiveGroup {
  id: string;
  name: string;
  gives: string;
}

/** Groups read per query, with their gives: a page of them is in memory at once, never all. */
const GROUP_PAGE = 500;

/** The one access rule's "unexpired" (SPEC section 4), as a WHERE clause on `col`. */
function unexpired<DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>, col: string, now: number) {
  // The column names are this module's own: the reference is built from a fixed string.
  const ref = eb.ref(col as never);
  return eb.or([eb(ref, 'is', null), eb(ref, '>', now as never)]);
}

/**
 * The grants that give access in `scope` at `now`, in item order (kind, owner name, subject
 * name), `chunkSize` at a time. Memory stays bounded: memberships are read in keyset pages (no
 * statement is left open between chunks, so the caller may write its items in the same
 * transaction on either dialect), and each group's gives are computed once per page of groups.
 * The rule is the one of domain/access.ts: subject ACTIVE, group active and unexpired, link
 * unexpired (a membership that has not started yet is frozen too, with its start), assignment
 * unexpired, resource active. A grant that gives nothing is not an item.
 */
export async function* frozenGrants(db: Db, scope: ReviewScope, now: number, chunkSize = 1000): AsyncIterable<FrozenGrant[]> {
  let chunk: FrozenGrant[] = [];
  for (const kind of ['group_user', 'group_service'] as const) {
    for await (const group of liveGroups(db, scope, kind === 'group_user' ? 'group_users' : 'group_services', now)) {
      for await (const page of groupMembers(db, kind, group, now, chunkSize)) {
        for (const grant of page) {
          chunk.push(grant);
          if (chunk.length >= chunkSize) {
            yield chunk;
            chunk = [];
          }
        }
      }
    }
  }
  if (scope.kind !== 'group') {
    for await (const page of directAssignments(db, scope, now, chunkSize)) {
      for (const grant of page) {
        chunk.push(grant);
        if (chunk.length >= chunkSize) {
          yield chunk;
          chunk = [];
        }
      }
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Active, unexpired groups in scope that have members in `links`, by name, with what they give (never empty). */
async function* liveGroups(db: Db, scope: ReviewScope, links: 'group_users' | 'group_services', now: number): AsyncIterable<LiveGroup> {
  let after: { name: string; id: string } | null = null;
  for (;;) {
    let q = db
      .selectFrom('groups as g')
      .select(['g.id', 'g.name'])
      .where('g.is_active', '=', 1)
      .where((eb) => unexpired(eb, 'g.expires_at', now))
      .where((eb) => eb.exists(eb.selectFrom(`${links} as m` as 'group_users as m').select('m.group_id').whereRef('m.group_id', '=', 'g.id')));
    if (scope.kind === 'group') q = q.where('g.id', '=', scope.id);
    if (scope.kind === 'resource') {
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom('group_resources as a')
            .select('a.group_id')
            .whereRef('a.group_id', '=', 'g.id')
            .where('a.resource_id', '=', scope.id)
            .where((e) => unexpired(e, 'a.expires_at', now)),
        ),
      );
    }
    if (after !== null) {
      const { name, id } = after;
      q = q.where((eb) => eb.or([eb('g.name', '>', name), eb.and([eb('g.name', '=', name), eb('g.id', '>', id)])]));
    }
    const groups = await q.orderBy('g.name').orderBy('g.id').limit(GROUP_PAGE).execute();
    if (groups.length === 0) return;
    const gives = await givesOf(
      db,
      groups.map((g) => g.id),
      now,
    );
    for (const g of groups) {
      const resources = gives.get(g.id);
      if (resources === undefined) continue;
      if (scope.kind === 'resource' && !resources.some((r) => r.id === scope.id)) continue;
      yield { id: g.id, name: g.name, gives: canonicalJson(resources) };
    }
    if (groups.length < GROUP_PAGE) return;
    after = groups[groups.length - 1]!;
  }
}

/** Each group's active resources through unexpired assignments, by name. */
async function givesOf(db: Db, groupIds: string[], now: number): Promise<Map<string, Array<{ id: string; name: string }>>> {
  const rows = await db
    .selectFrom('group_resources as a')
    .innerJoin('resources as r', 'r.id', 'a.resource_id')
    .select(['a.group_id', 'r.id', 'r.name'])
    .where('a.group_id', 'in', groupIds)
    .where('r.is_active', '=', 1)
    .where((eb) => unexpired(eb, 'a.expires_at', now))
    .orderBy('a.group_id')
    .orderBy('r.name')
    .orderBy('r.id')
    .execute();
  const byGroup = new Map<string, Array<{ id: string; name: string }>>();
  for (const row of rows) {
    let list = byGroup.get(row.group_id);
    if (list === undefined) byGroup.set(row.group_id, (list = []));
    list.push({ id: row.id, name: row.name });
  }
  return byGroup;
}

/** A group's ACTIVE members of one kind with unexpired memberships, by name, a page at a time. */
async function* groupMembers(db: Db, kind: 'group_user' | 'group_service', group: LiveGroup, now: number, pageSize: number): AsyncIterable<FrozenGrant[]> {
  let after: { name: string; id: string } | null = null;
  for (;;) {
    const rows: Array<{ id: string; name: string; starts_at: number | null; expires_at: number | null; created_at: number }> =
      kind === 'group_user' ? await userPage(db, group.id, after, now, pageSize) : await servicePage(db, group.id, after, now, pageSize);
    if (rows.length === 0) return;
    yield rows.map((r) => ({
      kind,
      owner_id: group.id,
      owner_name: group.name,
      subject_type: kind === 'group_user' ? 'user' : 'service',
      subject_id: r.id,
      subject_name: r.name,
      starts_at: r.starts_at,
      expires_at: r.expires_at,
      link_created_at: r.created_at,
      gives: group.gives,
    }));
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1]!;
    after = { name: last.name, id: last.id };
  }
}

function userPage(db: Db, groupId: string, after: { name: string; id: string } | null, now: number, limit: number) {
  let q = db
    .selectFrom('group_users as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.email as name', 'm.starts_at', 'm.expires_at', 'm.created_at'])
    .where('m.group_id', '=', groupId)
    .where('u.state', '=', 'ACTIVE')
    .where((eb) => unexpired(eb, 'm.expires_at', now));
  if (after !== null) {
    const { name, id } = after;
    q = q.where((eb) => eb.or([eb('u.email', '>', name), eb.and([eb('u.email', '=', name), eb('u.id', '>', id)])]));
  }
  return q.orderBy('u.email').orderBy('u.id').limit(limit).execute();
}

function servicePage(db: Db, groupId: string, after: { name: string; id: string } | null, now: number, limit: number) {
  let q = db
    .selectFrom('group_services as m')
    .innerJoin('services as s', 's.id', 'm.service_id')
    .select(['s.id', 's.name', (eb) => eb.val<number | null>(null).as('starts_at'), 'm.expires_at', 'm.created_at'])
    .where('m.group_id', '=', groupId)
    .where('s.state', '=', 'ACTIVE')
    .where((eb) => unexpired(eb, 'm.expires_at', now));
  if (after !== null) {
    const { name, id } = after;
    q = q.where((eb) => eb.or([eb('s.name', '>', name), eb.and([eb('s.name', '=', name), eb('s.id', '>', id)])]));
  }
  return q.orderBy('s.name').orderBy('s.id').limit(limit).execute() as Promise<Array<{ id: string; name: string; starts_at: number | null; expires_at: number | null; created_at: number }>>;
}

/** ACTIVE services' unexpired assignments of active resources: owner and subject are the service, gives the one resource. */
async function* directAssignments(db: Db, scope: ReviewScope, now: number, pageSize: number): AsyncIterable<FrozenGrant[]> {
  let after: { service: string; serviceId: string; resource: string; resourceId: string } | null = null;
  for (;;) {
    let q = db
      .selectFrom('service_resources as a')
      .innerJoin('services as s', 's.id', 'a.service_id')
      .innerJoin('resources as r', 'r.id', 'a.resource_id')
      .select(['s.id as service_id', 's.name as service_name', 'r.id as resource_id', 'r.name as resource_name', 'a.expires_at', 'a.created_at'])
      .where('s.state', '=', 'ACTIVE')
      .where('r.is_active', '=', 1)
      .where((eb) => unexpired(eb, 'a.expires_at', now));
    if (scope.kind === 'resource') q = q.where('a.resource_id', '=', scope.id);
    if (after !== null) {
      const a = after;
      q = q.where((eb) =>
        eb.or([
          eb('s.name', '>', a.service),
          eb.and([eb('s.name', '=', a.service), eb('s.id', '>', a.serviceId)]),
          eb.and([eb('s.name', '=', a.service), eb('s.id', '=', a.serviceId), eb('r.name', '>', a.resource)]),
          eb.and([eb('s.name', '=', a.service), eb('s.id', '=', a.serviceId), eb('r.name', '=', a.resource), eb('r.id', '>', a.resourceId)]),
        ]),
      );
    }
    const rows = await q.orderBy('s.name').orderBy('s.id').orderBy('r.name').orderBy('r.id').limit(pageSize).execute();
    if (rows.length === 0) return;
    yield rows.map((r) => ({
      kind: 'service_resource' as const,
      owner_id: r.service_id,
      owner_name: r.service_name,
      subject_type: 'service' as const,
      subject_id: r.service_id,
      subject_name: r.service_name,
      starts_at: null,
      expires_at: r.expires_at,
      link_created_at: r.created_at,
      gives: canonicalJson([{ id: r.resource_id, name: r.resource_name }]),
    }));
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1]!;
    after = { service: last.service_name, serviceId: last.service_id, resource: last.resource_name, resourceId: last.resource_id };
  }
}
