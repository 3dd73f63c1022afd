import type { Change, Row } from './audit-events.js';
import type { ExchangeTokensTable } from './rows.js';
import type { Replay, ReplayedEvent, StateDifference } from './replay.js';

/**
 * Short-lived tokens (`act_…`) as replayed state (SPEC section 5). `key.exchange` inserts the
 * token's row (its hash as a fingerprint), `sweep.token.delete` and `service.disable.token`
 * delete it, and deleting a key takes its tokens with it, as the store's ON DELETE CASCADE does.
 *
 * Events written before tokens were replayed state carry no rows, only context: `key.exchange`
 * its `tokenId` and `expiresAt` (the key is the target), the deletions the token as target. Such
 * a token is rebuilt without a fingerprint or creation time and compared by id, key and expiry.
 */
export interface ReplayedToken {
  id: string;
  key_id: string;
  /** The fingerprint of the stored hash; null for a token from an event without one. */
  token_hash: string | null;
  created_at: number | null;
  expires_at: number;
}

const LEGACY_DELETES = new Set(['sweep.token.delete', 'service.disable.token']);

export function applyTokenChange(r: Replay, e: ReplayedEvent, c: Change): void {
  const row = c.op === 'update' ? c.key : c.row;
  const id = String(row.id);
  const anomaly = (problem: string) => r.anomalies.push({ seq: e.seq, table: 'exchange_tokens', id, problem });
  const current = r.tokens.get(id);
  switch (c.op) {
    case 'insert':
      if (current) anomaly('inserted twice');
      r.tokens.set(id, tokenOf(c.row));
      return;
    case 'update':
      // Nothing updates a token; a log that says so was not written by accessctl.
      anomaly('a short-lived token is never updated');
      return;
    case 'delete':
      if (!current && !r.tokensUnknown) anomaly('deleted but never inserted');
      r.tokens.delete(id);
      return;
  }
}

const tokenOf = (row: Row): ReplayedToken => ({
  id: String(row.id),
  key_id: String(row.key_id),
  token_hash: row.token_fingerprint === undefined || row.token_fingerprint === null ? null : String(row.token_fingerprint),
  created_at: typeof row.created_at === 'number' ? row.created_at : null,
  expires_at: Number(row.expires_at),
});

/** A key deleted (by `key delete`, sweep or its service's deletion) takes its tokens along. */
export function dropTokensOfKey(r: Replay, keyId: string): void {
  for (const [id, t] of r.tokens) if (t.key_id === keyId) r.tokens.delete(id);
}

/** Token events of the format that carried no rows: rebuilt from their context. */
export function applyLegacyTokenEvent(r: Replay, e: ReplayedEvent & { targetId?: string }, details: Record<string, unknown>): void {
  if (e.action === 'key.exchange' && typeof details.tokenId === 'string' && typeof details.expiresAt === 'number' && e.targetId !== undefined) {
    if (r.tokens.has(details.tokenId)) r.anomalies.push({ seq: e.seq, table: 'exchange_tokens', id: details.tokenId, problem: 'inserted twice' });
    r.tokens.set(details.tokenId, { id: details.tokenId, key_id: e.targetId, token_hash: null, created_at: null, expires_at: details.expiresAt });
  } else if (LEGACY_DELETES.has(e.action) && e.targetId !== undefined) {
    if (!r.tokens.has(e.targetId) && !r.tokensUnknown) r.anomalies.push({ seq: e.seq, table: 'exchange_tokens', id: e.targetId, problem: 'deleted but never inserted' });
    r.tokens.delete(e.targetId);
  }
}

/**
 * The replayed tokens against the live rows. After a snapshot that recorded no tokens (written
 * before tokens were replayed state), a live token replay never saw made may predate it: it is
 * excused once expired, when it grants nothing (no token outlives token.maxTtl, at most a week).
 * Every other unexplained row is reported, whatever its expiry.
 *
 * One live token against replay. The replayed token it matches is taken out of `r.tokens`, so
 * what is left after every live row is what the store is missing (replayedTokensLeft).
 */
export function diffTokenRow(r: Replay, row: ExchangeTokensTable, fingerprint: (tokenHash: string) => string, now: number): StateDifference[] {
  const table = 'exchange_tokens';
  const t = r.tokens.get(row.id);
  if (!t) {
    if (r.tokensUnknown && row.expires_at <= now) return [];
    return [{ table, id: row.id, field: null, replayed: 'missing', live: 'present' }];
  }
  r.tokens.delete(row.id);
  const fields: Array<[string, unknown, unknown]> = [
    ['key_id', t.key_id, row.key_id],
    ['expires_at', t.expires_at, row.expires_at],
  ];
  // A token from an event without a fingerprint is compared by id, key and expiry only.
  if (t.token_hash !== null) fields.push(['token_hash', t.token_hash, fingerprint(row.token_hash)]);
  if (t.created_at !== null) fields.push(['created_at', t.created_at, row.created_at]);
  const out: StateDifference[] = [];
  for (const [field, replayed, stored] of fields) if (replayed !== stored) out.push({ table, id: row.id, field, replayed, live: stored });
  return out;
}

/** The replayed tokens no live row matched, in replay order. */
export function replayedTokensLeft(r: Replay): StateDifference[] {
  return [...r.tokens.keys()].map((id) => ({ table: 'exchange_tokens', id, field: null, replayed: 'present', live: 'missing' }));
}
