import type { StoredEvent } from '../domain/audit-chain.js';
import { StoreError } from '../domain/errors.js';
import { describeTimeFinding, LogClock } from '../domain/log-time.js';
import { newReplay, replayEvent, type Replay } from '../domain/replay.js';
import { streamStored, streamTimes } from './audit.js';
import type { Db } from './mutate.js';

/**
 * Folds the log in seq order into a Replay. `visit` sees each event before it is applied and
 * returns false to stop there. Seq order is the log's order. Placing a moment in the log needs
 * time to move forward in it (SPEC section 10): every event is read for that, also past the stop
 * (seq and time only), and a log whose time decreases or runs into the future is refused rather
 * than answered as if the replay had simply reached its end.
 */
export async function foldLog(db: Db, now: number, visit: (e: StoredEvent, replay: Replay, apply: () => void) => boolean, options: { packed?: boolean } = {}): Promise<Replay> {
  const replay = newReplay(options);
  const clock = new LogClock(now);
  let stoppedAt: number | null = null;
  for await (const e of streamStored(db)) {
    clock.see(e);
    const apply = () => replayEvent(replay, e, JSON.parse(e.details) as Record<string, unknown>);
    if (!visit(e, replay, apply)) {
      stoppedAt = e.seq;
      break;
    }
  }
  if (stoppedAt !== null) for await (const e of streamTimes(db, stoppedAt)) clock.see(e);
  const finding = clock.findings[0];
  if (finding) {
    throw new StoreError(
      `the audit log's time does not only move forward (${describeTimeFinding(finding)}), so no moment can be placed in it`,
      'accessctl audit verify and accessctl db check name every such event; restore the log from a backup',
    );
  }
  return replay;
}

/** The state as of `at`: every event up to the first one stamped later than it. */
export async function replayUntil(db: Db, now: number, at: number, options: { packed?: boolean } = {}): Promise<Replay> {
  return foldLog(
    db,
    now,
    (e, _r, apply) => {
      if (e.at > at) return false;
      apply();
      return true;
    },
    options,
  );
}
