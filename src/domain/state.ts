import type { CandidatePath } from './access.js';
import type {
  GroupResourcesTable,
  GroupServicesTable,
  GroupsTable,
  GroupUsersTable,
  ResourcesTable,
  ServiceKeysTable,
  ServiceResourcesTable,
  RequestsTable,
  ReviewItemsTable,
  ReviewsTable,
  ServicesTable,
  UsersTable,
} from './rows.js';

/**
 * The whole access-relevant state in memory, row for row as the store keeps it. Three things
 * build one: replay of the audit log (the state as of any moment), a load of the live tables
 * (the state now), and a plan over an access-as-code file (the state after apply). The access
 * rule reads any of them through `stateCandidates` and `evaluateAccess`: one rule for all three.
 */
export interface State {
  users: Map<string, UsersTable>;
  resources: Map<string, ResourcesTable>;
  groups: Map<string, GroupsTable>;
  services: Map<string, ServicesTable>;
  /** Keyed by `linkKey(owner, member)`. */
  groupUsers: Map<string, GroupUsersTable>;
  groupResources: Map<string, GroupResourcesTable>;
  groupServices: Map<string, GroupServicesTable>;
  serviceResources: Map<string, ServiceResourcesTable>;
  keys: Map<string, ServiceKeysTable>;
  /** Access requests (SPEC section 15): not access state themselves, but replayed and compared. */
  requests: Map<string, RequestsTable>;
  /** Access reviews and their items (SPEC section 16): replayed and compared like requests. */
  reviews: Map<string, ReviewsTable>;
  /** Keyed by `linkKey(review_id, String(item))`. */
  reviewItems: Map<string, ReviewItemsTable>;
  settings: Map<string, string>;
}

export function emptyState(): State {
  return {
    users: new Map(),
    resources: new Map(),
    groups: new Map(),
    services: new Map(),
    groupUsers: new Map(),
    groupResources: new Map(),
    groupServices: new Map(),
    serviceResources: new Map(),
    keys: new Map(),
    requests: new Map(),
    reviews: new Map(),
    reviewItems: new Map(),
    settings: new Map(),
  };
}

/** Ids never contain NUL, so it separates the two halves of a link's key unambiguously. */
export function linkKey(owner: string, member: string): string {
  return `${owner}\u0000${member}`;
}

export function cloneState(s: State): State {
  const copy = <K, V>(m: Map<K, V>) => new Map([...m].map(([k, v]) => [k, { ...v }] as [K, V]));
  return {
    users: copy(s.users),
    resources: copy(s.resources),
    groups: copy(s.groups),
    services: copy(s.services),
    groupUsers: copy(s.groupUsers),
    groupResources: copy(s.groupResources),
    groupServices: copy(s.groupServices),
    serviceResources: copy(s.serviceResources),
    keys: copy(s.keys),
    requests: copy(s.requests),
    reviews: copy(s.reviews),
    reviewItems: copy(s.reviewItems),
    settings: new Map(s.settings),
  };
}

/** The same shape as the store's candidate rows (store/access.ts), so callers treat both alike. */
export interface StateCandidate {
  subjectId: string;
  resourceId: string;
  path: CandidatePath;
}

/**
 * Every candidate path in `state` for a user or service, optionally narrowed to one subject or
 * one resource, expired or not: deciding which paths grant is evaluateAccess's job.
 */
/** The path a membership `m` of `group` gives to the resource of its assignment `gr`. */
export function groupPath(kind: 'user' | 'service', group: GroupsTable, m: GroupUsersTable | GroupServicesTable, gr: GroupResourcesTable): CandidatePath {
  return {
    via: 'group',
    groupId: group.id,
    groupName: group.name,
    groupActive: group.is_active === 1,
    groupExpiresAt: group.expires_at,
    memberStartsAt: kind === 'user' ? ((m as GroupUsersTable).starts_at ?? null) : null,
    memberExpiresAt: m.expires_at,
    assignmentExpiresAt: gr.expires_at,
  };
}

export function stateCandidates(
  state: State,
  kind: 'user' | 'service',
  q: { subjectId?: string | undefined; resourceId?: string | undefined } = {},
): StateCandidate[] {
  const out: StateCandidate[] = [];
  const members = kind === 'user' ? state.groupUsers : state.groupServices;
  const resourcesByGroup = new Map<string, GroupResourcesTable[]>();
  for (const gr of state.groupResources.values()) {
    if (q.resourceId !== undefined && gr.resource_id !== q.resourceId) continue;
    const list = resourcesByGroup.get(gr.group_id);
    if (list) list.push(gr);
    else resourcesByGroup.set(gr.group_id, [gr]);
  }
  for (const m of members.values()) {
    const subjectId = kind === 'user' ? (m as GroupUsersTable).user_id : (m as GroupServicesTable).service_id;
    if (q.subjectId !== undefined && subjectId !== q.subjectId) continue;
    const group = state.groups.get(m.group_id);
    if (!group) continue;
    for (const gr of resourcesByGroup.get(m.group_id) ?? []) {
      out.push({
        subjectId,
        resourceId: gr.resource_id,
        path: groupPath(kind, group, m, gr),
      });
    }
  }
  if (kind === 'service') {
    for (const sr of state.serviceResources.values()) {
      if (q.subjectId !== undefined && sr.service_id !== q.subjectId) continue;
      if (q.resourceId !== undefined && sr.resource_id !== q.resourceId) continue;
      out.push({ subjectId: sr.service_id, resourceId: sr.resource_id, path: { via: 'direct', assignmentExpiresAt: sr.expires_at } });
    }
  }
  return out;
}
