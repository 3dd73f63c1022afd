import type { State } from '../state.js';

/** The users and services whose effective access may differ between two states (by id). */
export interface AffectedSubjects {
  users: Set<string>;
  services: Set<string>;
}

type Row = object;

/** Same row: the same object (a plan shares what it leaves alone), or the same columns and values. */
function sameRow(a: Row | undefined, b: Row | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if ((a as Record<string, unknown>)[k] !== (b as Record<string, unknown>)[k]) return false;
  return true;
}

/** Calls `each` with every row, on either side, of a key whose row differs between the two maps. */
function differing<T extends Row>(a: Map<string, T>, b: Map<string, T>, each: (row: T) => void): void {
  // forEach: no entry array per row, over a million links.
  a.forEach((r, k) => {
    const o = b.get(k);
    if (sameRow(r, o)) return;
    each(r);
    if (o !== undefined) each(o);
  });
  b.forEach((r, k) => {
    if (!a.has(k)) each(r);
  });
}

/**
 * Who may reach something else in `after` than in `before`. A subject's access is read from its
 * own row, its memberships (and, for a service, its direct assignments), the rows of those
 * groups, the groups' assignments and the rows of the resources: a subject none of whose inputs
 * changed has the same access on both sides, so a diff need not compute it at all.
 */
export function affectedSubjects(before: State, after: State): AffectedSubjects {
  const users = new Set<string>();
  const services = new Set<string>();
  const resources = new Set<string>();
  const groups = new Set<string>();
  differing(before.resources, after.resources, (r) => resources.add(r.id));
  differing(before.groups, after.groups, (g) => groups.add(g.id));
  differing(before.groupResources, after.groupResources, (l) => groups.add(l.group_id));
  for (const s of [before, after]) for (const l of s.groupResources.values()) if (resources.has(l.resource_id)) groups.add(l.group_id);
  differing(before.users, after.users, (u) => users.add(u.id));
  differing(before.groupUsers, after.groupUsers, (l) => users.add(l.user_id));
  differing(before.services, after.services, (x) => services.add(x.id));
  differing(before.groupServices, after.groupServices, (l) => services.add(l.service_id));
  differing(before.serviceResources, after.serviceResources, (l) => services.add(l.service_id));
  for (const s of [before, after]) {
    if (groups.size > 0) {
      for (const l of s.groupUsers.values()) if (groups.has(l.group_id)) users.add(l.user_id);
      for (const l of s.groupServices.values()) if (groups.has(l.group_id)) services.add(l.service_id);
    }
    if (resources.size > 0) for (const l of s.serviceResources.values()) if (resources.has(l.resource_id)) services.add(l.service_id);
  }
  return { users, services };
}

/** `state` with only these subjects' memberships and assignments: the access rule reads it as it reads any State. */
export function narrowedTo(state: State, only: AffectedSubjects): State {
  const keep = <T>(m: Map<string, T>, ok: (row: T) => boolean) => {
    const out = new Map<string, T>();
    m.forEach((r, k) => {
      if (ok(r)) out.set(k, r);
    });
    return out;
  };
  return {
    ...state,
    groupUsers: keep(state.groupUsers, (l) => only.users.has(l.user_id)),
    groupServices: keep(state.groupServices, (l) => only.services.has(l.service_id)),
    serviceResources: keep(state.serviceResources, (l) => only.services.has(l.service_id)),
  };
}
