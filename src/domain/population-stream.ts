import { evaluateAccess, type CandidatePath, type GrantPath, type ResourceFacts, type Subject } from './access.js';
import { compareCodePoints } from './order.js';
import { nameKey } from './validate.js';
import { groupPath, type State } from './state.js';
import type { GroupResourcesTable, GroupServicesTable, GroupsTable, GroupUsersTable, ResourcesTable, ServicesTable, UsersTable } from './rows.js';

/**
 * The population one subject at a time: the same candidates as `stateCandidates` and the same
 * rule (`evaluateAccess`), gathered per subject so a whole-store answer never holds more than one
 * subject's grants, and so one subject's grants can be recomputed alone.
 */
export interface Grant {
  subject: Subject;
  resource: ResourceFacts;
  path: GrantPath;
}

export const subjectOfUser = (u: UserFacts): Subject => ({ kind: 'user', id: u.id, name: u.email, state: u.state as Subject['state'] });
export const subjectOfService = (s: ServiceFacts): Subject => ({ kind: 'service', id: s.id, name: s.name, state: s.state as Subject['state'] });
export const factsOf = (r: ResourcesTable): ResourceFacts => ({ id: r.id, name: r.name, address: r.address, isActive: r.is_active === 1, tcp: r.tcp, udp: r.udp, icmp: r.icmp === 1 });

export interface PopulationFilter {
  subjectKind?: 'user' | 'service' | undefined;
  subjectId?: string | undefined;
  resourceId?: string | undefined;
  groupId?: string | undefined;
}

export type SubjectKind = 'user' | 'service';
/** The columns of a user or service the rule and the order read. */
export type UserFacts = Pick<UsersTable, 'id' | 'email' | 'email_key' | 'state'>;
export type ServiceFacts = Pick<ServicesTable, 'id' | 'name' | 'name_key' | 'state'>;
export type SubjectRow = UserFacts | ServiceFacts;
export type Membership = GroupUsersTable | GroupServicesTable;

interface Lookup<T> {
  get(id: string): Iterable<T> | undefined;
}
type Direct = { resource_id: string; expires_at: number | null };

/** What a subject's candidates are read from, besides its own memberships. */
export interface PathTables {
  groups: Map<string, GroupsTable>;
  resources: Map<string, ResourcesTable>;
  /** group_resources by group id (narrowed to one resource when asked). */
  resourcesByGroup: Lookup<GroupResourcesTable>;
  /** A service's direct assignments: service_resources by service id. */
  directByService: Lookup<Direct>;
}

export const sortKey = (s: SubjectRow): string => ('email_key' in s ? s.email_key : s.name_key);
export const bySortKey = (a: SubjectRow, b: SubjectRow): number => compareCodePoints(sortKey(a), sortKey(b));
const groupKey = (name: string | null): string => (name === null ? '' : nameKey(name));

export function resourcesByGroupOf(state: Pick<State, 'groupResources'>, resourceId?: string): Map<string, GroupResourcesTable[]> {
  const out = new Map<string, GroupResourcesTable[]>();
  for (const gr of state.groupResources.values()) {
    if (resourceId !== undefined && gr.resource_id !== resourceId) continue;
    const list = out.get(gr.group_id);
    if (list) list.push(gr);
    else out.set(gr.group_id, [gr]);
  }
  return out;
}

export function directByServiceOf(state: Pick<State, 'serviceResources'>, resourceId?: string): Map<string, Direct[]> {
  const out = new Map<string, Direct[]>();
  for (const sr of state.serviceResources.values()) {
    if (resourceId !== undefined && sr.resource_id !== resourceId) continue;
    const list = out.get(sr.service_id);
    if (list) list.push(sr);
    else out.set(sr.service_id, [sr]);
  }
  return out;
}

export function pathTablesOf(state: State, resourceId?: string): PathTables & { directByService: Map<string, Direct[]> } {
  return { groups: state.groups, resources: state.resources, resourcesByGroup: resourcesByGroupOf(state, resourceId), directByService: directByServiceOf(state, resourceId) };
}

/** One subject's candidate paths, by resource id (as `stateCandidates` lists them for it). */
function candidatesOf(kind: SubjectKind, id: string, memberships: readonly Membership[], t: PathTables): Map<string, CandidatePath[]> {
  const byResource = new Map<string, CandidatePath[]>();
  const add = (resourceId: string, path: CandidatePath) => {
    const list = byResource.get(resourceId);
    if (list) list.push(path);
    else byResource.set(resourceId, [path]);
  };
  for (const m of memberships) {
    const group = t.groups.get(m.group_id);
    if (!group) continue;
    for (const gr of t.resourcesByGroup.get(m.group_id) ?? []) {
      add(gr.resource_id, groupPath(kind, group, m, gr));
    }
  }
  if (kind === 'service') for (const sr of t.directByService.get(id) ?? []) add(sr.resource_id, { via: 'direct', assignmentExpiresAt: sr.expires_at });
  return byResource;
}

/**
 * One subject's grants at `at`, in the population's order: resources by name, paths by group
 * name. `facts` may hand out one ResourceFacts per resource (it must be current).
 */
export function subjectGrants(
  kind: SubjectKind,
  row: SubjectRow,
  memberships: readonly Membership[],
  t: PathTables,
  at: number,
  groupId?: string,
  facts: (r: ResourcesTable) => ResourceFacts = factsOf,
): Grant[] {
  const byResource = candidatesOf(kind, row.id, memberships, t);
  if (byResource.size === 0) return [];
  const out: Grant[] = [];
  const subject = kind === 'user' ? subjectOfUser(row as UserFacts) : subjectOfService(row as ServiceFacts);
  const resources = [...byResource.keys()]
    .map((id) => t.resources.get(id))
    .filter((r): r is ResourcesTable => r !== undefined)
    .sort((a, b) => compareCodePoints(a.name_key, b.name_key));
  for (const r of resources) {
    const resource = facts(r);
    const decision = evaluateAccess(subject, resource, byResource.get(r.id)!, at);
    const paths = [...decision.paths].sort((a, b) => compareCodePoints(groupKey(a.groupName), groupKey(b.groupName)) || (a.via < b.via ? -1 : a.via > b.via ? 1 : 0));
    for (const path of paths) {
      if (groupId !== undefined && path.groupId !== groupId) continue;
      out.push({ subject, resource, path });
    }
  }
  return out;
}

/** A subject's memberships by its id, and the ids of every subject that has any. */
export interface MembershipLookup {
  get(id: string): readonly Membership[] | undefined;
  keys(): Iterable<string>;
}

/** Memberships by subject id, for one kind, in the State's order. */
export function membershipsBySubject(state: Pick<State, 'groupUsers' | 'groupServices'>, kind: SubjectKind): Map<string, Membership[]> {
  const out = new Map<string, Membership[]>();
  const members = kind === 'user' ? state.groupUsers : state.groupServices;
  for (const m of members.values()) {
    const id = kind === 'user' ? (m as GroupUsersTable).user_id : (m as GroupServicesTable).service_id;
    const list = out.get(id);
    if (list) list.push(m);
    else out.set(id, [m]);
  }
  return out;
}

/**
 * The population of a State, subject by subject: users by email, then services by name.
 * `members` gives each kind's memberships by subject (by default gathered from the State's links).
 */
export function* streamPopulation(
  state: State,
  at: number,
  filter: PopulationFilter = {},
  members: (kind: SubjectKind) => MembershipLookup = (kind) => membershipsBySubject(state, kind),
): Generator<Grant> {
  const t = pathTablesOf(state, filter.resourceId);
  for (const kind of ['user', 'service'] as const) {
    if (filter.subjectKind !== undefined && filter.subjectKind !== kind) continue;
    const bySubject = members(kind);
    const rows = kind === 'user' ? state.users : state.services;
    const ids = filter.subjectId !== undefined ? [filter.subjectId] : kind === 'user' ? bySubject.keys() : new Set([...bySubject.keys(), ...t.directByService.keys()]);
    const subjects: SubjectRow[] = [];
    for (const id of ids) {
      const row = rows.get(id);
      if (row) subjects.push(row);
    }
    subjects.sort(bySortKey);
    for (const s of subjects) yield* subjectGrants(kind, s, bySubject.get(s.id) ?? [], t, at, filter.groupId);
  }
}
