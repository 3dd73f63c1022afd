import type { State } from '../state.js';

const live = (expiresAt: number | null, now: number) => expiresAt === null || now < expiresAt;

/**
 * The state as access-as-code sees it: what grants or can grant. Expired groups and links are
 * sweep's business, so they are neither exported nor compared: a link that lapses does not turn
 * the next `plan` into drift.
 *
 * The rows are raw's own (rows are never changed in place: a plan puts a new row where it changes
 * one), and so is a link map from which nothing expired: a view of a million links copies no row,
 * and their map only when some of them lapsed. Nothing writes to a view's link maps (a plan copies
 * one before its first change).
 */
export function liveView(raw: State, now: number): State {
  const s = shallowCopy(raw, false);
  for (const [id, g] of s.groups) if (!live(g.expires_at, now)) s.groups.delete(id);
  const inLiveGroup = (l: { group_id: string; expires_at: number | null }) => live(l.expires_at, now) && s.groups.has(l.group_id);
  s.groupUsers = only(s.groupUsers, inLiveGroup);
  s.groupResources = only(s.groupResources, inLiveGroup);
  s.groupServices = only(s.groupServices, inLiveGroup);
  s.serviceResources = only(s.serviceResources, (l) => live(l.expires_at, now));
  return s;
}

/** The links that pass: raw's own map when all do (neither side changes it), else a new one. */
function only<T>(m: Map<string, T>, keep: (row: T) => boolean): Map<string, T> {
  let all = true;
  for (const r of m.values()) {
    if (keep(r)) continue;
    all = false;
    break;
  }
  if (all) return m;
  const out = new Map<string, T>();
  m.forEach((r, k) => {
    if (keep(r)) out.set(k, r);
  });
  return out;
}

/** New maps over the same rows: what a plan changes it replaces, so the original stays as it was. */
export function shallowCopy(s: State, links = true): State {
  const copy = <T>(m: Map<string, T>) => (links ? new Map(m) : m);
  return {
    users: new Map(s.users),
    resources: new Map(s.resources),
    groups: new Map(s.groups),
    services: new Map(s.services),
    groupUsers: copy(s.groupUsers),
    groupResources: copy(s.groupResources),
    groupServices: copy(s.groupServices),
    serviceResources: copy(s.serviceResources),
    keys: new Map(s.keys),
    requests: new Map(s.requests),
    reviews: new Map(s.reviews),
    reviewItems: new Map(s.reviewItems),
    settings: new Map(s.settings),
  };
}
