import { newReplay, replayEvent, type Replay } from '../domain/replay.js';
import { streamStored } from './audit.js';
import type { Db } from './mutate.js';

/**
 * Folds the log in seq order, pausing at each moment in `points` (ascending): `onPoint(i, r)` sees
 * the state as of points[i], i.e. every event up to the first one stamped later than it.
 * Seq order is the log's order; a clock that moved backwards does not reorder history.
 */
export async function replayLog(db: Db, points: readonly number[], onPoint: (index: number, replay: Replay) => void, opts: { trackCauses?: boolean } = {}): Promise<Replay> {
  const replay = newReplay(opts);
  let next = 0;
  for await (const e of streamStored(db)) {
    while (next < points.length && e.at > points[next]!) onPoint(next++, replay);
    if (next >= points.length) return replay;
    replayEvent(replay, e, JSON.parse(e.details) as Record<string, unknown>);
  }
  while (next < points.length) onPoint(next++, replay);
  return replay;
}
