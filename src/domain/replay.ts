import { PRIMARY_KEY, type Change, type ReplayTable, type Row } from './audit-events.js';
import { emptyState, linkKey, type State } from './state.js';
import { RowPacker } from './packed-rows.js';
import { applyLegacyTokenEvent, applyTokenChange, dropTokensOfKey, type ReplayedToken } from './token-replay.js';

/**
 * Replay: a pure fold from audit events to a State (domain/state.ts). It knows no action: it
 * applies each format 2 event's row-level `changes` (docs/audit-events.md) in seq order.
 * Format 1 events carry no complete rows and are skipped; a migrated store's log holds a
 * `store.migrate` snapshot, the first format 2 event, from which replay starts.
 */
export interface ReplayedEvent {
  seq: number;
  at: number;
  actor: string;
  action: string;
  /** Read only by events of the format whose token events carried no rows (domain/token-replay.ts). */
  targetId?: string;
}

/** Something the log says that does not fit the state rebuilt so far. */
export interface ReplayAnomaly {
  seq: number;
  table: string;
  id: string;
  problem: string;
}

export interface Replay {
  state: State;
  anomalies: ReplayAnomaly[];
  /** The first format 2 event folded (null until one is). */
  startSeq: number | null;
  /** Format 1 events passed over. */
  skipped: number;
  /** The last event folded. */
  last: ReplayedEvent | null;
  /** Short-lived tokens: replayed state, though not access state (so not in `state`). */
  tokens: Map<string, ReplayedToken>;
  /** A `store.migrate` snapshot recorded no token: tokens made before it were never seen made. */
  tokensUnknown: boolean;
  /**
   * Set for a replay that is only compared (db check): its state's rows are then held packed
   * (domain/packed-rows.ts), and read back through `replayedRow`.
   */
  packer: RowPacker | null;
}

export function newReplay(options: { packed?: boolean } = {}): Replay {
  return { state: emptyState(), anomalies: [], startSeq: null, skipped: 0, last: null, tokens: new Map(), tokensUnknown: false, packer: options.packed ? new RowPacker() : null };
}

/**
 * Every table but users is packed: the links hold the most rows (a million memberships) and, like
 * keys, groups and the rest, are rarely updated. Users stay objects: their updates (most of a log,
 * a sync touches thousands) would each unpack and pack a row again, and that garbage cost more
 * peak memory than packing saved.
 */
const PACKED_TABLES: ReadonlySet<ReplayTable> = new Set(['resources', 'groups', 'services', 'group_users', 'group_resources', 'group_services', 'service_resources', 'service_keys', 'requests', 'reviews', 'review_items']);

/** A row of the replayed state as an object, whether the replay holds it packed or not. */
export function replayedRow(r: Replay, table: ReplayTable, key: string, held: unknown): Record<string, unknown> {
  return r.packer && PACKED_TABLES.has(table) ? r.packer.unpack(table, key, held as string | Record<string, unknown>) : (held as Record<string, unknown>);
}

type StateTable = Exclude<ReplayTable, 'settings' | 'exchange_tokens'>;
type Tables = Record<StateTable, Map<string, Record<string, unknown>>>;
const TABLE_MAP: Record<StateTable, keyof State> = {
  users: 'users',
  resources: 'resources',
  groups: 'groups',
  services: 'services',
  group_users: 'groupUsers',
  group_resources: 'groupResources',
  group_services: 'groupServices',
  service_resources: 'serviceResources',
  service_keys: 'keys',
  requests: 'requests',
  reviews: 'reviews',
  review_items: 'reviewItems',
};

/** The State map key of a row, the same key loadState uses. */
export function rowKey(table: ReplayTable, row: Row): string {
  const cols = PRIMARY_KEY[table];
  return cols.length === 1 ? String(row[cols[0]!]) : linkKey(String(row[cols[0]!]), String(row[cols[1]!]));
}

/** A row id for people: `grp_… usr_…` for a link. */
export const rowLabel = (key: string): string => key.replace('\u0000', ' ');

/**
 * Columns schema 4 added (SQLite; PostgreSQL 5) with no value on any row it kept: events written
 * before it carry no such key, and their rows hold NULL there, exactly what the migration left in
 * the tables (which is why that migration needs no snapshot).
 */
const ADDED_IN_SCHEMA_4: Partial<Record<ReplayTable, readonly string[]>> = {
  users: ['login'],
  groups: ['request_policy'],
  group_users: ['starts_at'],
};

/** A row as an insert recorded it, with a NULL for each column added after the event was written. */
function insertedRow(table: ReplayTable, row: Row): Record<string, unknown> {
  const out = toStateRow(table, row);
  for (const col of ADDED_IN_SCHEMA_4[table] ?? []) if (!(col in out)) out[col] = null;
  return out;
}

/** Replayed key rows hold the token fingerprint where the store holds the hash (see db check). */
function toStateRow(table: ReplayTable, row: Row): Record<string, unknown> {
  if (table !== 'service_keys') return { ...row };
  const { token_fingerprint, ...rest } = row;
  return { ...rest, token_hash: token_fingerprint ?? null, last_used_at: null };
}

export function replayEvent(r: Replay, e: ReplayedEvent, details: Record<string, unknown>): void {
  if (details.v !== 2) {
    r.skipped++;
    return;
  }
  r.startSeq ??= e.seq;
  r.last = e;
  const changes = Array.isArray(details.changes) ? (details.changes as Change[]) : [];
  // A snapshot from before tokens were replayed state holds none, whatever the table held then.
  if (e.action === 'store.migrate' && !changes.some((c) => c.table === 'exchange_tokens')) r.tokensUnknown = true;
  for (const c of changes) applyChange(r, e, c);
  if (changes.length === 0) applyLegacyTokenEvent(r, e, details);
}

function applyChange(r: Replay, e: ReplayedEvent, c: Change): void {
  const table = c.table;
  if (!(table in PRIMARY_KEY)) {
    r.anomalies.push({ seq: e.seq, table: String(table), id: '', problem: 'unknown table' });
    return;
  }
  const key = rowKey(table, c.op === 'update' ? c.key : c.row);
  const anomaly = (problem: string) => r.anomalies.push({ seq: e.seq, table, id: rowLabel(key), problem });
  if (table === 'exchange_tokens') {
    applyTokenChange(r, e, c);
    return;
  }
  if (table === 'settings') {
    const s = r.state.settings;
    if (c.op === 'insert' || c.op === 'update') {
      const value = c.op === 'insert' ? c.row.value : c.to.value;
      if (value !== undefined) s.set(key, String(value));
    } else s.delete(key);
    return;
  }
  const map = r.state[TABLE_MAP[table]] as unknown as Tables[typeof table];
  const held = map.get(key);
  const current = held === undefined ? undefined : replayedRow(r, table, key, held);
  const packer = PACKED_TABLES.has(table) ? r.packer : null;
  const hold = (row: Record<string, unknown>) => map.set(key, (packer ? packer.pack(table, key, row) : row) as Record<string, unknown>);
  switch (c.op) {
    case 'insert':
      if (current) anomaly('inserted twice');
      hold(insertedRow(table, c.row));
      return;
    case 'update': {
      if (!current) {
        anomaly('updated but never inserted');
        return;
      }
      const from = toStateRow(table, c.from);
      for (const col of Object.keys(c.from)) {
        const name = col === 'token_fingerprint' ? 'token_hash' : col;
        if (current[name] !== from[name]) anomaly(`${name} was ${JSON.stringify(current[name])}, the event says ${JSON.stringify(from[name])}`);
      }
      const to = toStateRow(table, c.to);
      for (const col of Object.keys(c.to)) {
        const name = col === 'token_fingerprint' ? 'token_hash' : col;
        current[name] = to[name];
      }
      if (packer) hold(current);
      return;
    }
    case 'delete':
      if (!current) anomaly('deleted but never inserted');
      map.delete(key);
      if (table === 'service_keys') dropTokensOfKey(r, key);
      return;
  }
}

/** One difference between two States: a row only in one, or a column that differs. */
export interface StateDifference {
  table: string;
  id: string;
  field: string | null;
  replayed: unknown;
  live: unknown;
}

/** The tables a State holds row objects for, in the order they are compared, with their State field. */
export const STATE_TABLES = Object.entries(TABLE_MAP) as ReadonlyArray<[StateTable, keyof State]>;

/**
 * The columns that differ between a replayed row and the live one. Key token hashes are compared
 * by fingerprint (the log never holds a hash) via `fingerprint`; last_used_at is telemetry and skipped.
 */
export function diffRow(table: ReplayTable, key: string, replayed: Record<string, unknown>, live: Record<string, unknown>, fingerprint: (tokenHash: string) => string): StateDifference[] {
  let x = replayed;
  let y = live;
  if (table === 'service_keys') {
    const { last_used_at: _replayedUse, ...rest } = replayed;
    const { last_used_at: _liveUse, ...liveRest } = live;
    x = rest;
    y = { ...liveRest, token_hash: fingerprint(String(live.token_hash)) };
  }
  const out: StateDifference[] = [];
  for (const col of new Set([...Object.keys(x), ...Object.keys(y)])) {
    if (x[col] !== y[col]) out.push({ table, id: rowLabel(key), field: col, replayed: x[col] ?? null, live: y[col] ?? null });
  }
  return out;
}

/** Compares a replayed State with a whole live one (a load of the tables), as db check does table by table. */
export function diffStates(replayed: State, live: State, fingerprint: (tokenHash: string) => string): StateDifference[] {
  const out: StateDifference[] = [];
  for (const [table, field] of STATE_TABLES) {
    const a = replayed[field] as unknown as Map<string, Record<string, unknown>>;
    const b = live[field] as unknown as Map<string, Record<string, unknown>>;
    for (const [key, row] of a) {
      const other = b.get(key);
      if (!other) out.push({ table, id: rowLabel(key), field: null, replayed: 'present', live: 'missing' });
      else out.push(...diffRow(table, key, row, other, fingerprint));
    }
    for (const key of b.keys()) if (!a.has(key)) out.push({ table, id: rowLabel(key), field: null, replayed: 'missing', live: 'present' });
  }
  out.push(...diffSettings(replayed.settings, live.settings));
  return out;
}

export function diffSettings(replayed: Map<string, string>, live: Map<string, string>): StateDifference[] {
  const out: StateDifference[] = [];
  for (const [key, value] of replayed) {
    if (!live.has(key)) out.push({ table: 'settings', id: key, field: null, replayed: 'present', live: 'missing' });
    else if (live.get(key) !== value) out.push({ table: 'settings', id: key, field: 'value', replayed: value, live: live.get(key) });
  }
  for (const key of live.keys()) if (!replayed.has(key)) out.push({ table: 'settings', id: key, field: null, replayed: 'missing', live: 'present' });
  return out;
}
