import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { chunks, type Db } from './mutate.js';

/**
 * Memberships and assignments: four tables of the same shape (owner, member, expires_at).
 * Kept generic here so that every link behaves the same way, TTLs included.
 */
export const LINKS = {
  group_users: { owner: 'group_id', member: 'user_id' },
  group_resources: { owner: 'group_id', member: 'resource_id' },
  group_services: { owner: 'group_id', member: 'service_id' },
  service_resources: { owner: 'service_id', member: 'resource_id' },
} as const;
export type LinkTableName = keyof typeof LINKS;

export interface LinkRow {
  owner: string;
  member: string;
  expiresAt: number | null;
}

// The four tables share one shape; a loosely typed handle lets one function serve them all.
const loose = (db: Db) => db as unknown as Kysely<Record<string, Record<string, unknown>>>;

/** A link's times: only a user's membership has a start (null for every other link). */
export interface LinkTimes {
  startsAt: number | null;
  expiresAt: number | null;
}

/** Only group_users carries starts_at (a grant approved for later, SPEC section 15). */
export const hasStart = (table: LinkTableName): boolean => table === 'group_users';

export async function getLinks(db: Db, table: LinkTableName, owner: string, members: readonly string[]): Promise<Map<string, LinkTimes>> {
  const { owner: o, member: m } = LINKS[table];
  const out = new Map<string, LinkTimes>();
  const columns = [`${m} as member`, 'expires_at', ...(hasStart(table) ? ['starts_at'] : [])];
  for (const part of chunks(members)) {
    const rows = (await loose(db)
      .selectFrom(table)
      .select(columns)
      .where(o, '=', owner)
      .where(m, 'in', part)
      .execute()) as Array<{ member: string; expires_at: number | null; starts_at?: number | null }>;
    for (const r of rows) out.set(r.member, { startsAt: r.starts_at ?? null, expiresAt: r.expires_at });
  }
  return out;
}

/**
 * A whole link row as it is stored and audited: a membership of a user carries its start (null:
 * from its creation), so replay rebuilds the row column for column.
 */
export function linkRow(table: LinkTableName, owner: string, member: string, times: LinkTimes, createdAt: number): Record<string, string | number | null> {
  const { owner: o, member: m } = LINKS[table];
  return { [o]: owner, [m]: member, ...(hasStart(table) ? { starts_at: times.startsAt } : {}), expires_at: times.expiresAt, created_at: createdAt };
}

/** Adds or re-times links; an existing link takes the new times (extend, shorten or make permanent; a membership's start too). */
export async function putLink(db: Db, table: LinkTableName, owner: string, member: string, expiresAt: number | null, now: number, exists: boolean, startsAt: number | null = null): Promise<void> {
  const { owner: o, member: m } = LINKS[table];
  if (exists) {
    const set = hasStart(table) ? { starts_at: startsAt, expires_at: expiresAt } : { expires_at: expiresAt };
    await loose(db).updateTable(table).set(set).where(o, '=', owner).where(m, '=', member).execute();
  } else {
    await loose(db).insertInto(table).values(linkRow(table, owner, member, { startsAt, expiresAt }, now)).execute();
  }
}

export async function deleteLink(db: Db, table: LinkTableName, owner: string, member: string): Promise<boolean> {
  const { owner: o, member: m } = LINKS[table];
  const r = await loose(db).deleteFrom(table).where(o, '=', owner).where(m, '=', member).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Unexpired links of many owners at once, in slices: bounded queries for streamed lists. */
export async function liveLinksOf(db: Db, table: LinkTableName, owners: readonly string[], now: number): Promise<Map<string, string[]>> {
  const { owner: o, member: m } = LINKS[table];
  // One row per owner, its members joined in the database (ids never contain ';'): a list of a
  // million memberships makes ten thousand strings, not a million row objects.
  const member = sql.ref(m);
  // SQLite sorts for an ordered group_concat even though the primary key (owner, member) already
  // yields each owner's members in order (11.7 → 6.2 ms for a page of 500 groups of 100): the
  // members are joined unordered and put in order here, which is a check when they already are.
  // Ids are ASCII, so JavaScript's order is SQLite's BINARY order.
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  const joined = pg ? sql<string>`string_agg(${member}, ';' order by ${member})` : sql<string>`group_concat(${member}, ';')`;
  const out = new Map<string, string[]>();
  for (const part of chunks(owners)) {
    const rows = (await loose(db)
      .selectFrom(table)
      .select([`${o} as owner`, joined.as('members')])
      .where(o, 'in', part)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .groupBy(o)
      .execute()) as Array<{ owner: string; members: string }>;
    for (const r of rows) out.set(r.owner, pg ? r.members.split(';') : inOrder(r.members.split(';')));
  }
  return out;
}

/**
 * Links whose expiry is at or before `cutoff`, for sweep. A membership that has not started is
 * never among them while its expiry is ahead: sweep goes by the end alone.
 */
export function expiredLinks(db: Db, table: LinkTableName, cutoff: number) {
  const { owner: o, member: m } = LINKS[table];
  return loose(db)
    .selectFrom(table)
    .select([`${o} as owner`, `${m} as member`, 'expires_at'])
    .where('expires_at', 'is not', null)
    .where('expires_at', '<=', cutoff)
    .orderBy('expires_at')
    .execute() as Promise<Array<{ owner: string; member: string; expires_at: number }>>;
}

function inOrder(ids: string[]): string[] {
  for (let i = 1; i < ids.length; i++) if (ids[i - 1]! > ids[i]!) return ids.sort();
  return ids;
}
