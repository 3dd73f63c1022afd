import type { StoredEvent } from '../domain/audit-chain.js';
import { newReplay, replayEvent, type Replay } from '../domain/replay.js';
import { streamStored } from './audit.js';
import type { Db } from './mutate.js';

/**
 * Folds the log in seq order into a Replay. `visit` sees each event before it is applied and
 * returns false to stop there. Seq order is the log's order: a clock that moved backwards does
 * not reorder history.
 */
export async function foldLog(db: Db, visit: (e: StoredEvent, replay: Replay, apply: () => void) => boolean): Promise<Replay> {
  const replay = newReplay();
  for await (const e of streamStored(db)) {
    const apply = () => replayEvent(replay, e, JSON.parse(e.details) as Record<string, unknown>);
    if (!visit(e, replay, apply)) break;
  }
  return replay;
}

/** The state as of `at`: every event up to the first one stamped later than it. */
export async function replayUntil(db: Db, at: number): Promise<Replay> {
  return foldLog(db, (e, _r, apply) => {
    if (e.at > at) return false;
    apply();
    return true;
  });
}
