import { evaluateAccess, type GrantPath, type ResourceFacts, type Subject } from './access.js';
import type { ReplayedEvent } from './replay.js';
import { compareCodePoints } from './order.js';
import { nameKey } from './validate.js';
import { linkKey, stateCandidates, type State } from './state.js';
import type { ResourcesTable, ServicesTable, UsersTable } from './rows.js';

/**
 * Effective access over a State (live, replayed to a moment, or planned): every subject,
 * resource and granting path, through the one rule (stateCandidates + evaluateAccess).
 */
export interface Grant {
  subject: Subject;
  resource: ResourceFacts;
  path: GrantPath;
}

export const subjectOfUser = (u: UsersTable): Subject => ({ kind: 'user', id: u.id, name: u.email, state: u.state as Subject['state'] });
export const subjectOfService = (s: ServicesTable): Subject => ({ kind: 'service', id: s.id, name: s.name, state: s.state as Subject['state'] });
export const factsOf = (r: ResourcesTable): ResourceFacts => ({ id: r.id, name: r.name, address: r.address, isActive: r.is_active === 1, tcp: r.tcp, udp: r.udp, icmp: r.icmp === 1 });

export interface PopulationFilter {
  subjectKind?: 'user' | 'service' | undefined;
  subjectId?: string | undefined;
  resourceId?: string | undefined;
  groupId?: string | undefined;
}

/** Sorted as lists are: users by email, then services by name; resources by name; paths by group name. */
export function population(state: State, at: number, filter: PopulationFilter = {}): Grant[] {
  const out: Grant[] = [];
  for (const kind of ['user', 'service'] as const) {
    if (filter.subjectKind !== undefined && filter.subjectKind !== kind) continue;
    const bySubject = new Map<string, Map<string, ReturnType<typeof stateCandidates>>>();
    for (const c of stateCandidates(state, kind, { subjectId: filter.subjectId, resourceId: filter.resourceId })) {
      let byResource = bySubject.get(c.subjectId);
      if (!byResource) bySubject.set(c.subjectId, (byResource = new Map()));
      const list = byResource.get(c.resourceId);
      if (list) list.push(c);
      else byResource.set(c.resourceId, [c]);
    }
    const subjects = [...bySubject.keys()]
      .map((id) => (kind === 'user' ? state.users.get(id) : state.services.get(id)))
      .filter((s): s is UsersTable | ServicesTable => s !== undefined)
      .sort((a, b) => compareCodePoints(sortKey(a), sortKey(b)));
    for (const s of subjects) {
      const subject = kind === 'user' ? subjectOfUser(s as UsersTable) : subjectOfService(s as ServicesTable);
      const byResource = bySubject.get(s.id)!;
      const resources = [...byResource.keys()]
        .map((id) => state.resources.get(id))
        .filter((r): r is ResourcesTable => r !== undefined)
        .sort((a, b) => compareCodePoints(a.name_key, b.name_key));
      for (const r of resources) {
        const resource = factsOf(r);
        const decision = evaluateAccess(subject, resource, byResource.get(r.id)!.map((c) => c.path), at);
        const paths = [...decision.paths].sort((a, b) => compareCodePoints(groupKey(a.groupName), groupKey(b.groupName)) || (a.via < b.via ? -1 : a.via > b.via ? 1 : 0));
        for (const path of paths) {
          if (filter.groupId !== undefined && path.groupId !== filter.groupId) continue;
          out.push({ subject, resource, path });
        }
      }
    }
  }
  return out;
}

const groupKey = (name: string | null): string => (name === null ? '' : nameKey(name));
const sortKey = (s: UsersTable | ServicesTable): string => ('email_key' in s ? s.email_key : s.name_key);

/** One grant's identity: who, what, through which path. */
export const grantKey = (g: Grant): string => `${g.subject.kind}:${g.subject.id}>${g.resource.id}>${g.path.via}:${g.path.groupId ?? ''}`;

export interface AccessChange {
  change: 'gained' | 'lost';
  grant: Grant;
  /** The event that caused it, or null when the grant simply expired or its membership started. */
  event: ReplayedEvent | null;
  /** When it happened: the event's time, the expiry or the start. */
  at: number;
}

/** What one step in time changed: grants present after and not before, and the reverse. */
export function accessStep(before: readonly Grant[], after: readonly Grant[], event: ReplayedEvent | null, at: number): AccessChange[] {
  const a = new Set(before.map(grantKey));
  const b = new Set(after.map(grantKey));
  return [
    ...before.filter((g) => !b.has(grantKey(g))).map((grant): AccessChange => ({ change: 'lost', grant, event, at })),
    ...after.filter((g) => !a.has(grantKey(g))).map((grant): AccessChange => ({ change: 'gained', grant, event, at })),
  ];
}

/** The first moment in (after, upTo] at which one of these grants expires, or null. */
export function nextExpiry(grants: readonly Grant[], after: number, upTo: number): number | null {
  let next: number | null = null;
  for (const g of grants) {
    const x = g.path.expiresAt;
    if (x !== null && x > after && x <= upTo && (next === null || x < next)) next = x;
  }
  return next;
}

/** The first moment in (after, upTo] at which a membership approved for later starts, or null. */
export function nextStart(state: State, after: number, upTo: number): number | null {
  let next: number | null = null;
  for (const m of state.groupUsers.values()) {
    const x = m.starts_at;
    if (x !== null && x !== undefined && x > after && x <= upTo && (next === null || x < next)) next = x;
  }
  return next;
}

/** The next moment in (after, upTo] at which access changes with no event: a grant expires or a membership starts. */
export function nextChange(grants: readonly Grant[], state: State, after: number, upTo: number): number | null {
  const a = nextExpiry(grants, after, upTo);
  const b = nextStart(state, after, upTo);
  return a === null ? b : b === null ? a : Math.min(a, b);
}
