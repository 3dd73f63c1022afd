import { cloneState, type State } from '../state.js';

const live = (expiresAt: number | null, now: number) => expiresAt === null || now < expiresAt;

/**
 * The state as access-as-code sees it: what grants or can grant. Expired groups and links are
 * sweep's business, so they are neither exported nor compared: a link that lapses does not turn
 * the next `plan` into drift.
 */
export function liveView(raw: State, now: number): State {
  const s = cloneState(raw);
  for (const [id, g] of s.groups) if (!live(g.expires_at, now)) s.groups.delete(id);
  for (const links of [s.groupUsers, s.groupResources, s.groupServices] as const) {
    for (const [k, l] of links) if (!live(l.expires_at, now) || !s.groups.has(l.group_id)) links.delete(k);
  }
  for (const [k, l] of s.serviceResources) if (!live(l.expires_at, now)) s.serviceResources.delete(k);
  return s;
}
