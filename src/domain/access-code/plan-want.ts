import { linkKey, type State } from '../state.js';

export interface Times {
  startsAt: number | null;
  expiresAt: number | null;
}

/** One shared object for the common link with no window: a million memberships need not each carry one. */
const ALWAYS: Times = Object.freeze({ startsAt: null, expiresAt: null });
export const timesOf = (startsAt: number | null, expiresAt: number | null): Times => (startsAt === null && expiresAt === null ? ALWAYS : { startsAt, expiresAt });

/** The links a file declares for one link table: owner, member, window; in the file's order. */
export interface Want {
  has(owner: string, member: string): boolean;
  forEach(fn: (owner: string, member: string, times: Times) => void): void;
}

/** Keyed by linkKey(owner, member): for the small link tables. */
export function flatWant(m: Map<string, Times>): Want {
  return {
    has: (owner, member) => m.has(linkKey(owner, member)),
    forEach: (fn) =>
      m.forEach((t, k) => {
        const [owner, member] = k.split('\u0000') as [string, string];
        fn(owner, member, t);
      }),
  };
}

/**
 * By owner, then member: the ids are the rows' own strings, so a million memberships cost no
 * million new keys. Iterated owner by owner, which is the file's order when each owner's links
 * are declared in one place (a group's members are).
 */
export function nestedWant(m: Map<string, Map<string, Times>>): Want {
  return {
    has: (owner, member) => m.get(owner)?.has(member) ?? false,
    forEach: (fn) => m.forEach((inner, owner) => inner.forEach((t, member) => fn(owner, member, t))),
  };
}

export type LinkMaps = 'groupUsers' | 'groupResources' | 'groupServices' | 'serviceResources';

/**
 * The planned state's link maps start as the current state's own (no copy of a million links);
 * the first change to one copies it. Returns the map to write to.
 */
export function copyOnWrite(planned: State): (table: LinkMaps) => Map<string, unknown> {
  const copied = new Set<LinkMaps>();
  return (table) => {
    if (!copied.has(table)) {
      (planned as unknown as Record<LinkMaps, Map<string, unknown>>)[table] = new Map<string, unknown>(planned[table] as Map<string, unknown>);
      copied.add(table);
    }
    return planned[table] as Map<string, unknown>;
  };
}
