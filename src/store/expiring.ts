import type { Db } from './mutate.js';

export interface ExpiringRow {
  subjectType: 'user' | 'service' | 'group';
  subjectId: string;
  subjectName: string;
  subjectKey: string;
  givesType: 'group' | 'resource' | 'key';
  givesId: string;
  gives: string;
  endsAt: number;
  source: 'membership' | 'assignment' | 'group' | 'key';
  /** A membership approved for later: when it starts (it ends before it has been of use to anyone otherwise). Null once started. */
  startsAt: number | null;
}

/**
 * Every grant that ends in (now, until]: memberships, assignments, groups and keys, each with
 * who holds it and what it gives. A group's own expiry is one row per member it carries, since
 * each of them loses what the group gives; disabled things are left out (they give nothing now).
 * A membership that has not started yet is listed with its start, so a warning never reads as
 * "your access ends" without "it starts at" before it.
 */
export async function expiringGrants(db: Db, now: number, until: number): Promise<ExpiringRow[]> {
  const ending = <T extends { ends_at: number | null }>(rows: T[]) => rows.filter((r) => r.ends_at !== null && Number(r.ends_at) > now && Number(r.ends_at) <= until);
  const [groupUsers, groupServices, groupResources, serviceResources, groups, keys] = await Promise.all([
    db
      .selectFrom('group_users as l')
      .innerJoin('users as u', 'u.id', 'l.user_id')
      .innerJoin('groups as g', 'g.id', 'l.group_id')
      .select(['u.id as sid', 'u.email as sname', 'u.email_key as skey', 'g.id as gid', 'g.name as gname', 'l.expires_at as ends_at', 'g.expires_at as group_ends', 'l.starts_at as starts_at'])
      .where('l.expires_at', 'is not', null)
      .where('l.expires_at', '>', now)
      .where('l.expires_at', '<=', until)
      .execute(),
    db
      .selectFrom('group_services as l')
      .innerJoin('services as s', 's.id', 'l.service_id')
      .innerJoin('groups as g', 'g.id', 'l.group_id')
      .select(['s.id as sid', 's.name as sname', 's.name_key as skey', 'g.id as gid', 'g.name as gname', 'l.expires_at as ends_at', 'g.expires_at as group_ends'])
      .where('l.expires_at', 'is not', null)
      .where('l.expires_at', '>', now)
      .where('l.expires_at', '<=', until)
      .execute(),
    db
      .selectFrom('group_resources as l')
      .innerJoin('resources as r', 'r.id', 'l.resource_id')
      .innerJoin('groups as g', 'g.id', 'l.group_id')
      .select(['g.id as sid', 'g.name as sname', 'g.name_key as skey', 'r.id as gid', 'r.name as gname', 'l.expires_at as ends_at', 'g.expires_at as group_ends'])
      .where('l.expires_at', 'is not', null)
      .where('l.expires_at', '>', now)
      .where('l.expires_at', '<=', until)
      .execute(),
    db
      .selectFrom('service_resources as l')
      .innerJoin('resources as r', 'r.id', 'l.resource_id')
      .innerJoin('services as s', 's.id', 'l.service_id')
      .select(['s.id as sid', 's.name as sname', 's.name_key as skey', 'r.id as gid', 'r.name as gname', 'l.expires_at as ends_at'])
      .where('l.expires_at', 'is not', null)
      .where('l.expires_at', '>', now)
      .where('l.expires_at', '<=', until)
      .execute(),
    db
      .selectFrom('groups as g')
      .leftJoin('group_users as l', 'l.group_id', 'g.id')
      .leftJoin('users as u', 'u.id', 'l.user_id')
      .select(['g.id as gid', 'g.name as gname', 'g.expires_at as ends_at', 'u.id as sid', 'u.email as sname', 'u.email_key as skey', 'l.expires_at as link_ends', 'l.starts_at as starts_at'])
      .where('g.expires_at', 'is not', null)
      .where('g.expires_at', '>', now)
      .where('g.expires_at', '<=', until)
      .execute(),
    db
      .selectFrom('service_keys as k')
      .innerJoin('services as s', 's.id', 'k.service_id')
      .select(['s.id as sid', 's.name as sname', 's.name_key as skey', 'k.id as gid', 'k.name as gname', 'k.expires_at as ends_at'])
      .where('k.revoked_at', 'is', null)
      .where('k.expires_at', 'is not', null)
      .where('k.expires_at', '>', now)
      .where('k.expires_at', '<=', until)
      .execute(),
  ]);
  // A link ends with its group when the group ends first: the group's row says so.
  const ownEnd = (ends: number | null, groupEnds: number | null | undefined) => groupEnds === null || groupEnds === undefined || Number(ends) < Number(groupEnds);
  const out: ExpiringRow[] = [];
  const later = (startsAt: number | null) => (startsAt !== null && Number(startsAt) > now ? Number(startsAt) : null);
  const neverStarts = (startsAt: number | null, ends: number | null) => startsAt !== null && Number(startsAt) >= Number(ends);
  for (const r of ending(groupUsers)) if (ownEnd(r.ends_at, r.group_ends) && !neverStarts(r.starts_at, r.ends_at)) out.push({ ...row('user', r, 'group', 'membership'), startsAt: later(r.starts_at) });
  for (const r of ending(groupServices)) if (ownEnd(r.ends_at, r.group_ends)) out.push(row('service', r, 'group', 'membership'));
  for (const r of ending(groupResources)) if (ownEnd(r.ends_at, r.group_ends)) out.push(row('group', r, 'resource', 'assignment'));
  for (const r of ending(serviceResources)) out.push(row('service', r, 'resource', 'assignment'));
  for (const g of groups) {
    // A member whose own link ends before the group is listed by its membership instead.
    if (g.sid === null || (g.link_ends !== null && Number(g.link_ends) <= now)) continue;
    if (g.link_ends !== null && Number(g.link_ends) < Number(g.ends_at)) continue;
    // A membership that would start only once the group has ended gives nothing: not a grant that ends.
    if (neverStarts(g.starts_at, g.ends_at)) continue;
    out.push({ ...row('user', { sid: g.sid, sname: g.sname!, skey: g.skey!, gid: g.gid, gname: g.gname, ends_at: g.ends_at }, 'group', 'group'), startsAt: later(g.starts_at) });
  }
  for (const r of keys) out.push(row('service', r, 'key', 'key'));
  return out;
}

function row(
  subjectType: ExpiringRow['subjectType'],
  r: { sid: string; sname: string; skey: string; gid: string; gname: string; ends_at: number | null },
  givesType: ExpiringRow['givesType'],
  source: ExpiringRow['source'],
): ExpiringRow {
  return { subjectType, subjectId: r.sid, subjectName: r.sname, subjectKey: r.skey, givesType, givesId: r.gid, gives: r.gname, endsAt: Number(r.ends_at), source, startsAt: null };
}
