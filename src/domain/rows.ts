/**
 * The model: one interface per row of schema.sql, in the store's own column names (audit events
 * carry their changes in those names too, domain/audit-events.ts). The domain works on these; the
 * store maps its tables to them (store/tables.ts) and reads and writes them in either dialect.
 */
export interface UsersTable {
  id: string;
  email: string;
  email_key: string;
  first_name: string;
  last_name: string;
  role: string;
  state: string;
  type: string;
  /** SPEC section 15: the OS user or PostgreSQL role this person acts as; unique. */
  login: string | null;
  created_at: number;
  updated_at: number;
}

export interface ResourcesTable {
  id: string;
  name: string;
  name_key: string;
  address: string;
  alias: string | null;
  tcp: string;
  udp: string;
  icmp: number;
  is_active: number;
  created_at: number;
  updated_at: number;
}

export interface GroupsTable {
  id: string;
  name: string;
  name_key: string;
  type: string;
  is_active: number;
  expires_at: number | null;
  /** Canonical JSON of a RequestPolicy (domain/request-policy.ts); null: not requestable. */
  request_policy: string | null;
  created_at: number;
  updated_at: number;
}

export interface ServicesTable {
  id: string;
  name: string;
  name_key: string;
  description: string;
  state: string;
  created_at: number;
  updated_at: number;
}

export interface LinkTable {
  expires_at: number | null;
  created_at: number;
}
export interface GroupUsersTable extends LinkTable {
  group_id: string;
  user_id: string;
  /** A grant approved for later: no access before it (null: from its creation). */
  starts_at: number | null;
}
export interface GroupResourcesTable extends LinkTable {
  group_id: string;
  resource_id: string;
}
export interface GroupServicesTable extends LinkTable {
  group_id: string;
  service_id: string;
}
export interface ServiceResourcesTable extends LinkTable {
  service_id: string;
  resource_id: string;
}

export interface ServiceKeysTable {
  id: string;
  service_id: string;
  name: string;
  name_key: string;
  token_hash: string;
  hint: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface ExchangeTokensTable {
  id: string;
  key_id: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
}

/** SPEC section 15. EXPIRED and ENDED are judged at read time (domain/requests.ts), never stored. */
export interface RequestsTable {
  id: string;
  group_id: string;
  group_name: string;
  user_id: string;
  user_email: string;
  /** The asker's login. */
  requested_by: string;
  duration_ms: number;
  reason: string;
  ticket: string;
  break_glass: number;
  state: 'PENDING' | 'APPROVED' | 'DENIED' | 'CANCELLED' | 'REVOKED';
  /** `--start`: the grant begins no earlier. */
  start_at: number | null;
  pending_until: number;
  approvals_needed: number;
  /** Canonical JSON: [{ login, userId, at, reason }], in approval order. */
  approvals: string;
  starts_at: number | null;
  expires_at: number | null;
  /** The login that made the last approval, or denied, cancelled or revoked it. */
  decided_by: string | null;
  decided_at: number | null;
  decision_reason: string | null;
  /** Break-glass: the login that reviewed it after the fact. */
  reviewed_by: string | null;
  reviewed_at: number | null;
  review_reason: string | null;
  created_at: number;
  updated_at: number;
}

/** SPEC section 16: an access review, frozen at a moment of the log. */
export interface ReviewsTable {
  id: string;
  name: string;
  scope: 'all' | 'group' | 'resource';
  /** The group or resource reviewed (null for all). */
  scope_id: string | null;
  scope_name: string | null;
  state: 'OPEN' | 'CLOSED';
  /** The group whose started, unexpired members decide (null: any user linked to a login). */
  reviewers_group: string | null;
  due_at: number | null;
  frozen_at: number;
  /** The chain's head when the population was frozen: seq and hash (a checkpoint). */
  frozen_seq: number;
  frozen_hash: string;
  items: number;
  decided: number;
  /** The login that started it. */
  started_by: string;
  closed_at: number | null;
  /** The seq of its review.close event (its hash is in the log). */
  closed_seq: number | null;
  closed_by: string | null;
  created_at: number;
  updated_at: number;
}

/** One frozen grant of a review: a user's or service's membership of a group, or a service's direct assignment. */
export interface ReviewItemsTable {
  review_id: string;
  item: number;
  kind: 'group_user' | 'group_service' | 'service_resource';
  /** The group (memberships) or service (direct assignment). */
  owner_id: string;
  owner_name: string;
  subject_type: 'user' | 'service';
  /** The user or service (memberships) or resource (direct assignment) the grant is about. */
  subject_id: string;
  subject_name: string;
  /** The link as frozen: a grant changed since is left alone at close. */
  starts_at: number | null;
  expires_at: number | null;
  link_created_at: number;
  /** Canonical JSON: [{ id, name }] of the resources the grant gave at the freeze. */
  gives: string;
  decision: 'KEEP' | 'REVOKE' | null;
  decided_by: string | null;
  decider_id: string | null;
  decided_at: number | null;
  reason: string | null;
  /** At close: KEPT, REMOVED, CHANGED (left alone: changed since the freeze) or GONE (already removed). */
  outcome: 'KEPT' | 'REMOVED' | 'CHANGED' | 'GONE' | null;
}
