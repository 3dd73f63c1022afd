import type { GroupsTable, ResourcesTable, ServicesTable, UsersTable } from '../../store/tables.js';
import { formatTimestamp } from '../time.js';

/**
 * The audit events `apply` writes, in the shape the imperative commands use (same actions, the
 * whole row on create, old and new values on update, the removed row on delete, each link with
 * its expiresAt), so replay reads an applied file like the commands it stands for. Every event
 * also carries `fileSha256`: which file made the change.
 */
export interface AuditEvent {
  action: string;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
}

export type LinkKind = 'user' | 'resource' | 'service';
export type ObjectKind = 'user' | 'resource' | 'group' | 'service';
type Row = UsersTable | ResourcesTable | GroupsTable | ServicesTable;

const iso = (ms: number | null) => formatTimestamp(ms);

function rowDetails(kind: ObjectKind, row: Row): Record<string, unknown> {
  switch (kind) {
    case 'user': {
      const u = row as UsersTable;
      return { email: u.email, firstName: u.first_name, lastName: u.last_name, role: u.role, state: u.state, type: u.type };
    }
    case 'resource': {
      const r = row as ResourcesTable;
      return { name: r.name, address: r.address, alias: r.alias, tcp: r.tcp, udp: r.udp, icmp: r.icmp, is_active: r.is_active };
    }
    case 'group': {
      const g = row as GroupsTable;
      return { name: g.name, type: g.type, isActive: g.is_active === 1, expiresAt: iso(g.expires_at), users: [], resources: [], services: [] };
    }
    case 'service': {
      const s = row as ServicesTable;
      return { name: s.name, description: s.description, state: s.state, resources: [], groups: [] };
    }
  }
}

export function createEvent(kind: ObjectKind, row: Row, fileSha256: string): AuditEvent {
  return { action: `${kind}.create`, targetType: kind, targetId: row.id, details: { ...rowDetails(kind, row), fileSha256 } };
}

/** `changes` are { field: { from, to } }; a state flip alone is an enable/disable, as the commands write it. */
export function updateEvent(kind: ObjectKind, id: string, changes: Record<string, { from: unknown; to: unknown }>, fileSha256: string): AuditEvent {
  const keys = Object.keys(changes);
  const flip = keys.length === 1 && (keys[0] === 'state' || (keys[0] === 'isActive' && kind === 'resource'));
  if (flip) {
    const on = changes[keys[0]!]!.to === 'ACTIVE' || changes[keys[0]!]!.to === true;
    return { action: `${kind}.${on ? 'enable' : 'disable'}`, targetType: kind, targetId: id, details: { ...changes, fileSha256 } };
  }
  return { action: `${kind}.update`, targetType: kind, targetId: id, details: { ...changes, fileSha256 } };
}

export function deleteEvent(kind: ObjectKind, row: Row, fileSha256: string): AuditEvent {
  return { action: `${kind}.delete`, targetType: kind, targetId: row.id, details: { ...rowDetails(kind, row), fileSha256 } };
}

export function addLinkEvent(ownerType: 'group' | 'service', ownerId: string, member: LinkKind, memberId: string, expiresAt: number | null, previous: number | null | undefined, fileSha256: string): AuditEvent {
  return {
    action: `${ownerType}.add-${member}`,
    targetType: ownerType,
    targetId: ownerId,
    details: { [`${member}Id`]: memberId, expiresAt: iso(expiresAt), ...(previous !== undefined ? { previousExpiresAt: iso(previous) } : {}), fileSha256 },
  };
}

export function removeLinkEvent(ownerType: 'group' | 'service', ownerId: string, member: LinkKind, memberId: string, expiresAt: number | null, fileSha256: string): AuditEvent {
  return { action: `${ownerType}.remove-${member}`, targetType: ownerType, targetId: ownerId, details: { [`${member}Id`]: memberId, expiresAt: iso(expiresAt), fileSha256 } };
}

/** A declared group takes the name of an expired one: the expired one goes first, as sweep would. */
export function sweepGroupEvent(g: GroupsTable, fileSha256: string): AuditEvent {
  return { action: 'sweep.group.delete', targetType: 'group', targetId: g.id, details: { name: g.name, expiresAt: iso(g.expires_at), fileSha256 } };
}

export function settingEvent(key: string, from: string, to: string, fileSha256: string): AuditEvent {
  return { action: 'config.set', targetType: 'config', targetId: key, details: { value: { from, to }, fileSha256 } };
}
