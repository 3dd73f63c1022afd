import type { ReplayTable } from './audit-events.js';
import type { Membership, MembershipLookup, SubjectKind } from './population-stream.js';
import { replayedRow, type Replay } from './replay.js';
import type { State } from './state.js';

/**
 * What `access list --as-of` reads of a replay held packed (domain/packed-rows.ts): the tables a
 * population is built from besides the memberships (users, services, resources, groups and their
 * resources, services' direct assignments: a few thousand rows but the users) as objects, and
 * the memberships left packed, unpacked one subject at a time as the population reaches it. The
 * tables no population reads are left empty, so that nothing can read a packed row as an object.
 *
 * It takes the replay's packed tables over: the replay is not to be used after.
 */
export function replayedPopulation(r: Replay): { state: State; members: (kind: SubjectKind) => MembershipLookup } {
  const unpacked = <T>(table: ReplayTable, rows: Map<string, T>): Map<string, T> => {
    const out = new Map<string, T>();
    for (const [key, held] of rows) out.set(key, replayedRow(r, table, key, held) as T);
    return out;
  };
  const s = r.state;
  const state: State = {
    ...s,
    resources: unpacked('resources', s.resources),
    groups: unpacked('groups', s.groups),
    services: unpacked('services', s.services),
    groupResources: unpacked('group_resources', s.groupResources),
    serviceResources: unpacked('service_resources', s.serviceResources),
    groupUsers: new Map(),
    groupServices: new Map(),
    keys: new Map(),
    requests: new Map(),
    reviews: new Map(),
    reviewItems: new Map(),
  };
  const links = { user: ['group_users', s.groupUsers], service: ['group_services', s.groupServices] } as const;
  return {
    state,
    members: (kind) => {
      const [table, rows] = links[kind];
      // A link's key is its group's id and its subject's, joined by NUL (domain/replay.ts rowKey).
      const bySubject = new Map<string, string[]>();
      for (const key of rows.keys()) {
        const id = key.slice(key.indexOf('\u0000') + 1);
        const list = bySubject.get(id);
        if (list) list.push(key);
        else bySubject.set(id, [key]);
      }
      return {
        get: (id) => bySubject.get(id)?.map((key) => replayedRow(r, table, key, rows.get(key)) as unknown as Membership),
        keys: () => bySubject.keys(),
      };
    },
  };
}
