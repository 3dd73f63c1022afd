import { createHash } from 'node:crypto';
import type { ExchangeTokensTable, ServiceKeysTable } from './rows.js';

/**
 * The audit event contract (docs/audit-events.md). Every event's `details` carries the row-level
 * changes it made, in the store's own table and column names, so replay (domain/replay.ts) folds
 * any event generically, whatever its action. Commands emit events only through these builders.
 */
export const EVENT_FORMAT = 2;

/** One event as a command asks for it; the store appends it to the chain (store/audit.ts). */
export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string;
  details?: Record<string, unknown>;
}

/** The tables replay rebuilds: the access-relevant state (domain/state.ts). */
export type ReplayTable =
  | 'users'
  | 'resources'
  | 'groups'
  | 'services'
  | 'group_users'
  | 'group_resources'
  | 'group_services'
  | 'service_resources'
  | 'service_keys'
  | 'exchange_tokens'
  | 'requests'
  | 'reviews'
  | 'review_items'
  | 'settings';

export type Cell = string | number | null;
export type Row = Record<string, Cell>;

export type Change =
  /** A row that did not exist now does: the whole row. */
  | { op: 'insert'; table: ReplayTable; row: Row }
  /** The primary key, then only the columns that changed: their old and new values. */
  | { op: 'update'; table: ReplayTable; key: Row; from: Row; to: Row }
  /** A row removed: the whole row as it was. */
  | { op: 'delete'; table: ReplayTable; row: Row };

export interface EventDetails {
  v: typeof EVENT_FORMAT;
  changes: Change[];
  /** Why it happened when the action alone does not say: `rotate`, `sweep`, `service.delete`, `apply`. */
  cause?: string;
  [extra: string]: unknown;
}

export const PRIMARY_KEY: Record<ReplayTable, readonly string[]> = {
  users: ['id'],
  resources: ['id'],
  groups: ['id'],
  services: ['id'],
  group_users: ['group_id', 'user_id'],
  group_resources: ['group_id', 'resource_id'],
  group_services: ['group_id', 'service_id'],
  service_resources: ['service_id', 'resource_id'],
  service_keys: ['id'],
  exchange_tokens: ['id'],
  requests: ['id'],
  reviews: ['id'],
  review_items: ['review_id', 'item'],
  settings: ['key'],
};

/** Every column of each table, as schema.sql has them: rows passed in with joined extras are trimmed to these. */
export const COLUMNS: Record<ReplayTable, readonly string[]> = {
  users: ['id', 'email', 'email_key', 'first_name', 'last_name', 'role', 'state', 'type', 'login', 'created_at', 'updated_at'],
  resources: ['id', 'name', 'name_key', 'address', 'alias', 'tcp', 'udp', 'icmp', 'is_active', 'created_at', 'updated_at'],
  groups: ['id', 'name', 'name_key', 'type', 'is_active', 'expires_at', 'request_policy', 'created_at', 'updated_at'],
  services: ['id', 'name', 'name_key', 'description', 'state', 'created_at', 'updated_at'],
  group_users: ['group_id', 'user_id', 'starts_at', 'expires_at', 'created_at'],
  group_resources: ['group_id', 'resource_id', 'expires_at', 'created_at'],
  group_services: ['group_id', 'service_id', 'expires_at', 'created_at'],
  service_resources: ['service_id', 'resource_id', 'expires_at', 'created_at'],
  service_keys: ['id', 'service_id', 'name', 'name_key', 'token_hash', 'hint', 'created_at', 'expires_at', 'revoked_at', 'last_used_at'],
  exchange_tokens: ['id', 'key_id', 'token_hash', 'created_at', 'expires_at'],
  requests: [
    'id', 'group_id', 'group_name', 'user_id', 'user_email', 'requested_by', 'duration_ms', 'reason', 'ticket', 'break_glass', 'state',
    'start_at', 'pending_until', 'approvals_needed', 'approvals', 'starts_at', 'expires_at', 'decided_by', 'decided_at', 'decision_reason',
    'reviewed_by', 'reviewed_at', 'review_reason', 'created_at', 'updated_at',
  ],
  reviews: [
    'id', 'name', 'scope', 'scope_id', 'scope_name', 'state', 'reviewers_group', 'due_at', 'frozen_at', 'frozen_seq', 'frozen_hash',
    'items', 'decided', 'started_by', 'closed_at', 'closed_seq', 'closed_by', 'created_at', 'updated_at',
  ],
  review_items: [
    'review_id', 'item', 'kind', 'owner_id', 'owner_name', 'subject_type', 'subject_id', 'subject_name', 'starts_at', 'expires_at',
    'link_created_at', 'gives', 'decision', 'decided_by', 'decider_id', 'decided_at', 'reason', 'outcome',
  ],
  settings: ['key', 'value', 'updated_at'],
};

export type ObjectType = 'user' | 'resource' | 'group' | 'service' | 'key' | 'config';
export const OBJECT_TABLE: Record<ObjectType, ReplayTable> = {
  user: 'users',
  resource: 'resources',
  group: 'groups',
  service: 'services',
  key: 'service_keys',
  config: 'settings',
};

export type LinkTable = 'group_users' | 'group_resources' | 'group_services' | 'service_resources';
/** Owner and member of each link table: the event is about the owner (`group.add-user`). */
export const LINK_ENDS: Record<LinkTable, { ownerType: 'group' | 'service'; owner: string; memberType: string; member: string }> = {
  group_users: { ownerType: 'group', owner: 'group_id', memberType: 'user', member: 'user_id' },
  group_resources: { ownerType: 'group', owner: 'group_id', memberType: 'resource', member: 'resource_id' },
  group_services: { ownerType: 'group', owner: 'group_id', memberType: 'service', member: 'service_id' },
  service_resources: { ownerType: 'service', owner: 'service_id', memberType: 'resource', member: 'resource_id' },
};

/**
 * A key's token hash is never written to the log; its fingerprint is, so a hash swapped behind
 * accessctl's back no longer matches what replay rebuilt. Domain-separated from the token hash.
 */
export function tokenFingerprint(tokenHash: string): string {
  return createHash('sha256').update(`accessctl-key-fingerprint\n${tokenHash}`, 'utf8').digest('hex').slice(0, 32);
}

/** Tables whose rows hold a token hash: their events carry its fingerprint instead. */
const HASHED: ReadonlySet<ReplayTable> = new Set(['service_keys', 'exchange_tokens']);

/** How a row is written into an event: keys and short-lived tokens carry the fingerprint, never lastUsedAt (telemetry). */
export function auditRow(table: ReplayTable, row: object): Row {
  const out: Row = {};
  const r = row as Record<string, unknown>;
  for (const k of COLUMNS[table]) {
    const v = r[k];
    if (v === undefined) continue;
    if (table === 'service_keys' && k === 'last_used_at') continue;
    if (HASHED.has(table) && k === 'token_hash') {
      out.token_fingerprint = tokenFingerprint(String(v));
      continue;
    }
    out[k] = v as Cell;
  }
  return out;
}

function keyOf(table: ReplayTable, row: object): Row {
  const r = row as Record<string, Cell>;
  return Object.fromEntries(PRIMARY_KEY[table].map((c) => [c, r[c] ?? null]));
}

export const insertChange = (table: ReplayTable, row: object): Change => ({ op: 'insert', table, row: auditRow(table, row) });
export const deleteChange = (table: ReplayTable, row: object): Change => ({ op: 'delete', table, row: auditRow(table, row) });

/** The columns that differ between two versions of a row, or null when none does. */
export function updateChange(table: ReplayTable, before: object, after: object): Change | null {
  const b = auditRow(table, before);
  const a = auditRow(table, after);
  const from: Row = {};
  const to: Row = {};
  for (const col of Object.keys(a)) {
    if (!(col in b) || b[col] === a[col]) continue;
    from[col] = b[col]!;
    to[col] = a[col]!;
  }
  if (Object.keys(to).length === 0) return null;
  return { op: 'update', table, key: keyOf(table, before), from, to };
}

export interface EventOptions {
  /** Overrides the default action name (`user.enable`, `user.import.create`, `sweep.group.delete`). */
  action?: string;
  cause?: string;
  /** Context that is not state: a CSV line, a file's SHA-256, an exchanged token's id. Never a secret. */
  extra?: Record<string, unknown>;
}

export function event(action: string, targetType: string, targetId: string, changes: Change[], opts: EventOptions = {}): AuditEntry {
  const details: EventDetails = { ...(opts.extra ?? {}), v: EVENT_FORMAT, changes };
  if (opts.cause !== undefined) details.cause = opts.cause;
  return { action: opts.action ?? action, targetType, targetId, details };
}

const idOf = (type: ObjectType, row: object): string => String((row as Record<string, Cell>)[type === 'config' ? 'key' : 'id']);

/** A new object, with any links made with it (`group create -u -r`, `service create -r -g`). */
export function objectCreated(type: ObjectType, row: object, links: ReadonlyArray<{ table: LinkTable; row: object }> = [], opts: EventOptions = {}): AuditEntry {
  const changes = [insertChange(OBJECT_TABLE[type], row), ...links.map((l) => insertChange(l.table, l.row))];
  return event(`${type}.create`, type, idOf(type, row), changes, opts);
}

/** Any change of an object's own columns (update, enable/disable, rename, revoke, re-time). */
export function objectUpdated(type: ObjectType, before: object, after: object, opts: EventOptions = {}): AuditEntry {
  const change = updateChange(OBJECT_TABLE[type], before, after);
  return event(`${type}.update`, type, idOf(type, before), change ? [change] : [], opts);
}

/**
 * A removed object with every row removed with it by cascade (its links), cascaded rows first.
 * Keys removed with a service get their own `key.delete` events (cause `service.delete`), written
 * before the service's event.
 */
export function objectDeleted(type: ObjectType, row: object, cascade: ReadonlyArray<{ table: LinkTable; row: object }> = [], opts: EventOptions = {}): AuditEntry {
  const changes = [...cascade.map((l) => deleteChange(l.table, l.row)), deleteChange(OBJECT_TABLE[type], row)];
  return event(`${type}.delete`, type, idOf(type, row), changes, opts);
}

function linkTarget(table: LinkTable, row: object): { action: string; owner: string } {
  const ends = LINK_ENDS[table];
  const r = row as Record<string, Cell>;
  return { action: `${ends.ownerType}.%-${ends.memberType}`, owner: String(r[ends.owner]) };
}

/** A new link (`group.add-user`), or an existing one re-timed when `before` is given. */
export function linkPut(table: LinkTable, row: object, before: object | null, opts: EventOptions = {}): AuditEntry {
  const t = linkTarget(table, row);
  const change = before === null ? insertChange(table, row) : updateChange(table, before, row);
  return event(t.action.replace('%', 'add'), LINK_ENDS[table].ownerType, t.owner, change ? [change] : [], opts);
}

/** A link removed (`group.remove-user`; sweep passes its own action and cause). */
export function linkRemoved(table: LinkTable, row: object, opts: EventOptions = {}): AuditEntry {
  const t = linkTarget(table, row);
  return event(t.action.replace('%', 'remove'), LINK_ENDS[table].ownerType, t.owner, [deleteChange(table, row)], opts);
}

/** `config set`: the settings row before (null when it was unset) and after. */
export function settingSet(before: { key: string; value: string; updated_at: number } | null, after: { key: string; value: string; updated_at: number }, opts: EventOptions = {}): AuditEntry {
  const change = before === null ? insertChange('settings', after) : updateChange('settings', before, after);
  return event('config.set', 'config', after.key, change ? [change] : [], opts);
}

/** Every key event is `key.*`; the cause says why (create, rotate, revoke, sweep, service.delete). */
export function keyCreated(row: ServiceKeysTable, cause: 'create' | 'rotate' | string, extra?: Record<string, unknown>): AuditEntry {
  return objectCreated('key', row, [], { cause, ...(extra ? { extra } : {}) });
}

export function keyUpdated(action: 'key.rename' | 'key.revoke' | 'key.rotate' | string, before: ServiceKeysTable, after: ServiceKeysTable, cause: string, extra?: Record<string, unknown>): AuditEntry {
  return objectUpdated('key', before, after, { action, cause, ...(extra ? { extra } : {}) });
}

export function keyDeleted(row: ServiceKeysTable, cause: 'delete' | 'sweep' | 'service.delete' | string, extra?: Record<string, unknown>): AuditEntry {
  return objectDeleted('key', row, [], { cause, ...(extra ? { extra } : {}) });
}

/**
 * A short-lived token is state replay rebuilds (SPEC section 5): the event inserts its row, with
 * the fingerprint of its hash (never the hash, never the token). `tokenId`, `hint` and
 * `expiresAt` stay as context for readers of the log that predate the row.
 */
export function tokenExchanged(keyId: string, token: { id: string; hint: string; expiresAt: number; tokenHash: string; createdAt: number }): AuditEntry {
  const row: ExchangeTokensTable = { id: token.id, key_id: keyId, token_hash: token.tokenHash, created_at: token.createdAt, expires_at: token.expiresAt };
  return event('key.exchange', 'key', keyId, [insertChange('exchange_tokens', row)], { cause: 'exchange', extra: { tokenId: token.id, hint: token.hint, expiresAt: token.expiresAt } });
}

/** A short-lived token removed by sweep: the whole row as it was. */
export function tokenSwept(token: ExchangeTokensTable): AuditEntry {
  return event('sweep.token.delete', 'token', token.id, [deleteChange('exchange_tokens', token)], { cause: 'sweep', extra: { keyId: token.key_id, expiresAt: token.expires_at } });
}

/** A short-lived token removed because its service was disabled: it never comes back with `service enable`. */
export function tokenDroppedWithService(token: ExchangeTokensTable, serviceId: string): AuditEntry {
  return event('service.disable.token', 'token', token.id, [deleteChange('exchange_tokens', token)], {
    cause: 'service.disable',
    extra: { serviceId, keyId: token.key_id, expiresAt: token.expires_at },
  });
}
