import type { CandidatePath } from '../domain/access.js';
import { sql, type Kysely } from 'kysely';
import { LINKS } from './links.js';
import { confirmsByRowid, indexLie } from './index-guard.js';
import type { Db } from './mutate.js';

/**
 * Gathers every candidate path between subjects and resources, expired or not. Deciding which
 * paths grant is the domain's job (domain/access.ts), never SQL's: there is one copy of the rule.
 */
export interface CandidateRow {
  subjectId: string;
  resourceId: string;
  path: CandidatePath;
}

export interface GroupPathRow {
  subject_id: string;
  resource_id: string;
  group_id: string;
  group_name: string;
  group_active: number;
  group_expires_at: number | null;
  member_starts_at: number | null;
  member_expires_at: number | null;
  assignment_expires_at: number | null;
  /** The group's id as its row holds it (groupPathsQuery), where group_id may come from an index. */
  group_row_id: string;
}

export function groupPath(r: GroupPathRow): CandidateRow {
  if (r.group_row_id !== r.group_id) throw indexLie('groups', 'id');
  return {
    subjectId: r.subject_id,
    resourceId: r.resource_id,
    path: {
      via: 'group',
      groupId: r.group_id,
      groupName: r.group_name,
      groupActive: r.group_active === 1,
      groupExpiresAt: r.group_expires_at,
      memberStartsAt: r.member_starts_at ?? null,
      memberExpiresAt: r.member_expires_at,
      assignmentExpiresAt: r.assignment_expires_at,
    },
  };
}

export interface PathQuery {
  subjectId?: string | undefined;
  resourceId?: string | undefined;
}

/**
 * Paths through groups: a membership (user or service) joined to the group and its resources.
 * One query serves users and services; only the membership table differs.
 */
export function groupPathsQuery(db: Db, membership: 'group_users' | 'group_services', q: PathQuery) {
  const subject = `m.${LINKS[membership].member}`;
  // The two membership tables share one shape; a loosely typed handle lets one query serve both.
  let query = (db as unknown as Kysely<Record<string, Record<string, unknown>>>)
    .selectFrom(`${membership} as m`)
    .innerJoin('group_resources as gr', 'gr.group_id', 'm.group_id')
    .innerJoin('groups as g', 'g.id', 'm.group_id')
    .select([
      `${subject} as subject_id`,
      'gr.resource_id as resource_id',
      'g.id as group_id',
      'g.name as group_name',
      'g.is_active as group_active',
      'g.expires_at as group_expires_at',
      // Only a user's membership may start later (group_services has no start).
      membership === 'group_users' ? sql.ref('m.starts_at').as('member_starts_at') : sql<null>`null`.as('member_starts_at'),
      'm.expires_at as member_expires_at',
      'gr.expires_at as assignment_expires_at',
    ]);
  // The group is joined by id through its primary key's index, and SQLite reads g.id from that
  // index: the group's row, joined to itself by rowid, says whose row it is (store/index-guard.ts).
  query = !confirmsByRowid(db, 'groups')
    ? query.select('g.id as group_row_id')
    : query.innerJoin('groups as g_row', (join) => join.on(sql<boolean>`"g_row"."rowid" = "g"."rowid"`)).select('g_row.id as group_row_id');
  if (q.subjectId !== undefined) query = query.where(subject, '=', q.subjectId);
  if (q.resourceId !== undefined) query = query.where('gr.resource_id', '=', q.resourceId);
  return query;
}

async function groupCandidates(db: Db, membership: 'group_users' | 'group_services', q: PathQuery): Promise<CandidateRow[]> {
  return ((await groupPathsQuery(db, membership, q).execute()) as unknown as GroupPathRow[]).map(groupPath);
}

/** Direct service-to-resource assignments. */
export function servicePathsQuery(db: Db, q: PathQuery) {
  let direct = db.selectFrom('service_resources as sr').select(['sr.service_id as subject_id', 'sr.resource_id as resource_id', 'sr.expires_at as expires_at']);
  if (q.subjectId !== undefined) direct = direct.where('sr.service_id', '=', q.subjectId);
  if (q.resourceId !== undefined) direct = direct.where('sr.resource_id', '=', q.resourceId);
  return direct;
}

export async function userCandidates(db: Db, q: PathQuery): Promise<CandidateRow[]> {
  return groupCandidates(db, 'group_users', q);
}

export async function serviceCandidates(db: Db, q: PathQuery): Promise<CandidateRow[]> {
  const directRows = (await servicePathsQuery(db, q).execute()).map(
    (r): CandidateRow => ({ subjectId: r.subject_id, resourceId: r.resource_id, path: { via: 'direct', assignmentExpiresAt: r.expires_at } }),
  );
  return [...directRows, ...(await groupCandidates(db, 'group_services', q))];
}
