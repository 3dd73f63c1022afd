import { diffRow, diffSettings, replayedRow, rowKey, rowLabel, STATE_TABLES, type Replay, type StateDifference } from '../domain/replay.js';
import { diffTokenRow, replayedTokensLeft } from '../domain/token-replay.js';
import type { Row } from '../domain/audit-events.js';
import type { Db } from './mutate.js';

/** A replayed row the live table also holds, with nothing to say about it. */
const MATCHED = Symbol('matched');

/**
 * `db check`'s comparison of a replay with the live tables, one table at a time: each live table
 * is streamed (the same query, so the same order, as a whole load), and each replayed row is
 * released as its live row is met, so neither side is ever held twice. The differences come out
 * in the order a comparison of two whole States gives them: per table, the replayed rows in
 * replay order (a column that differs, or a row missing from the store), then the rows only in
 * the store in the order they were read; settings after the tables, tokens last.
 *
 * It consumes `replay`: its state and tokens are emptied as they are compared.
 */
export async function compareReplayWithStore(db: Db, replay: Replay, fingerprint: (tokenHash: string) => string, now: number): Promise<StateDifference[]> {
  const out: StateDifference[] = [];
  for (const [table, field] of STATE_TABLES) {
    const replayed = replay.state[field] as unknown as Map<string, unknown>;
    const fieldDiffs = new Map<string, StateDifference[]>();
    const onlyLive: StateDifference[] = [];
    for await (const live of db.selectFrom(table).selectAll().stream()) {
      const key = rowKey(table, live as unknown as Row);
      const row = replayed.get(key);
      if (row === undefined || row === MATCHED) {
        onlyLive.push({ table, id: rowLabel(key), field: null, replayed: 'missing', live: 'present' });
        continue;
      }
      const diffs = diffRow(table, key, replayedRow(replay, table, key, row), live as unknown as Record<string, unknown>, fingerprint);
      if (diffs.length > 0) fieldDiffs.set(key, diffs);
      replayed.set(key, MATCHED);
    }
    for (const [key, row] of replayed) {
      if (row !== MATCHED) out.push({ table, id: rowLabel(key), field: null, replayed: 'present', live: 'missing' });
      else out.push(...(fieldDiffs.get(key) ?? []));
    }
    replayed.clear();
    out.push(...onlyLive);
  }
  out.push(...(await compareSettings(db, replay.state.settings)));
  for await (const live of db.selectFrom('exchange_tokens').selectAll().orderBy('id').stream()) out.push(...diffTokenRow(replay, live, fingerprint, now));
  out.push(...replayedTokensLeft(replay));
  return out;
}

async function compareSettings(db: Db, replayed: Map<string, string>): Promise<StateDifference[]> {
  const live = new Map<string, string>();
  for (const r of await db.selectFrom('settings').selectAll().execute()) live.set(r.key, r.value);
  return diffSettings(replayed, live);
}
