import { formatTimestamp } from './time.js';

/**
 * Time only moves forward in the log (SPEC section 10). A writer records max(its clock, the
 * previous event's `at`); a reader reports an event whose `at` decreases (written by hand, or by
 * a build before the rule) or lies further in the future than two machines' clocks plausibly
 * disagree (a clock that ran ahead once, or an event planted ahead).
 */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;

export interface TimeFinding {
  seq: number;
  problem: 'decreases' | 'future';
  reason: string;
}

/** Walks events in seq order and keeps the first finding of each kind. */
export class LogClock {
  private prev: { seq: number; at: number } | null = null;
  readonly findings: TimeFinding[] = [];

  constructor(private readonly now: number) {}

  see(e: { seq: number; at: number }): void {
    const when = (at: number) => formatTimestamp(at) ?? String(at);
    if (this.prev !== null && e.at < this.prev.at && !this.has('decreases')) {
      this.findings.push({ seq: e.seq, problem: 'decreases', reason: `at ${when(e.at)} is earlier than seq ${this.prev.seq}'s ${when(this.prev.at)}` });
    }
    if (e.at > this.now + FUTURE_TOLERANCE_MS && !this.has('future')) {
      this.findings.push({ seq: e.seq, problem: 'future', reason: `at ${when(e.at)} is more than 5 minutes after now (${when(this.now)})` });
    }
    this.prev = e;
  }

  private has(problem: TimeFinding['problem']): boolean {
    return this.findings.some((f) => f.problem === problem);
  }
}

/** One line per finding: `seq 7: at … is earlier than …`. */
export const describeTimeFinding = (f: TimeFinding): string => `seq ${f.seq}: ${f.reason}`;
