import type { State } from '../state.js';

const live = (expiresAt: number | null, now: number) => expiresAt === null || now < expiresAt;

/**
 * The state as access-as-code sees it: what grants or can grant. Expired groups and links are
 * sweep's business, so they are neither exported nor compared: a link that lapses does not turn
 * the next `plan` into drift.
 *
 * The maps are new; the rows in them are raw's own (rows are never changed in place: a plan puts
 * a new row where it changes one), so a view of a million links costs their map, not a copy of each.
 */
export function liveView(raw: State, now: number): State {
  const s = shallowCopy(raw);
  for (const [id, g] of s.groups) if (!live(g.expires_at, now)) s.groups.delete(id);
  for (const links of [s.groupUsers, s.groupResources, s.groupServices] as const) {
    for (const [k, l] of links) if (!live(l.expires_at, now) || !s.groups.has(l.group_id)) links.delete(k);
  }
  for (const [k, l] of s.serviceResources) if (!live(l.expires_at, now)) s.serviceResources.delete(k);
  return s;
}

/** New maps over the same rows: what a plan changes it replaces, so the original stays as it was. */
export function shallowCopy(s: State): State {
  return {
    users: new Map(s.users),
    resources: new Map(s.resources),
    groups: new Map(s.groups),
    services: new Map(s.services),
    groupUsers: new Map(s.groupUsers),
    groupResources: new Map(s.groupResources),
    groupServices: new Map(s.groupServices),
    serviceResources: new Map(s.serviceResources),
    keys: new Map(s.keys),
    requests: new Map(s.requests),
    reviews: new Map(s.reviews),
    reviewItems: new Map(s.reviewItems),
    settings: new Map(s.settings),
  };
}
