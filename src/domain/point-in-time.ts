import type { ReplayedEvent } from './replay.js';
import { streamPopulation, type Grant, type PopulationFilter } from './population-stream.js';
import type { State } from './state.js';

/**
 * Effective access over a State (live, replayed to a moment, or planned): every subject,
 * resource and granting path, through the one rule (stateCandidates + evaluateAccess), built
 * subject by subject (domain/population-stream.ts).
 */
export { factsOf, subjectOfService, subjectOfUser, type Grant, type PopulationFilter } from './population-stream.js';

/** Sorted as lists are: users by email, then services by name; resources by name; paths by group name. */
export function population(state: State, at: number, filter: PopulationFilter = {}): Grant[] {
  return [...streamPopulation(state, at, filter)];
}

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
