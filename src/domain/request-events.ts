import { deleteChange, event, insertChange, updateChange, type AuditEntry, type Change } from './audit-events.js';
import type { GroupUsersTable, RequestsTable } from './rows.js';

/**
 * Audit events of access requests (SPEC section 15): `request.*`, about the request, with the
 * login that acted in `details.login` (the actor label may be anything `--actor` says). A grant or
 * its end carries the membership's change in the same event, so replay rebuilds both.
 */
export type RequestAction = 'request.create' | 'request.approve' | 'request.deny' | 'request.cancel' | 'request.revoke' | 'request.review';

/** The membership row before and after (null: absent), when the event changes it. */
export interface MembershipChange {
  before: GroupUsersTable | null;
  after: GroupUsersTable | null;
}

function membershipChanges(m: MembershipChange | undefined): Change[] {
  if (!m) return [];
  if (m.before === null && m.after !== null) return [insertChange('group_users', m.after)];
  if (m.before !== null && m.after === null) return [deleteChange('group_users', m.before)];
  if (m.before !== null && m.after !== null) {
    const c = updateChange('group_users', m.before, m.after);
    return c ? [c] : [];
  }
  return [];
}

export function requestCreated(row: RequestsTable, login: string, membership?: MembershipChange): AuditEntry {
  return event('request.create', 'request', row.id, [insertChange('requests', row), ...membershipChanges(membership)], { extra: { login } });
}

export function requestChanged(action: Exclude<RequestAction, 'request.create'>, before: RequestsTable, after: RequestsTable, login: string, membership?: MembershipChange): AuditEntry {
  const own = updateChange('requests', before, after);
  return event(action, 'request', before.id, [...(own ? [own] : []), ...membershipChanges(membership)], { extra: { login } });
}
