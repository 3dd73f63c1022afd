import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { LogClock, type TimeFinding } from './log-time.js';

export interface AuditEvent {
  seq: number;
  id: string;
  at: number;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
}

/** An event as stored: `details` is the exact text in the store, the text the hash covers. */
export interface StoredEvent {
  seq: number;
  id: string;
  at: number;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  details: string;
  hash: string;
}

/**
 * hash = SHA-256(previous hash + canonical event text), over the stored details text itself
 * (format 2): what is hashed is byte for byte what every reader reads. The first event chains from "".
 */
export function storedEventHash(prevHash: string, e: Omit<StoredEvent, 'hash'>): string {
  return createHash('sha256').update(prevHash + canonicalEventText(e), 'utf8').digest('hex');
}

/** The canonical event with its details text spliced in verbatim; keys in sorted order. */
export function canonicalEventText(e: Omit<StoredEvent, 'hash'>): string {
  const str = JSON.stringify;
  return `{"action":${str(e.action)},"actor":${str(e.actor)},"at":${str(e.at)},"details":${e.details},"id":${str(e.id)},"seq":${str(e.seq)},"targetId":${str(e.targetId)},"targetType":${str(e.targetType)}}`;
}

/** Format 1 hashing, kept so events written before schema version 2 still verify. */
export function eventHash(prevHash: string, event: AuditEvent): string {
  return createHash('sha256').update(prevHash + canonicalEvent(event), 'utf8').digest('hex');
}

/**
 * canonicalJson(event), written out: an event's keys are fixed, so their sorted order is too.
 * test/unit/audit-chain.test.ts checks the two agree on arbitrary events.
 */
export function canonicalEvent(e: AuditEvent): string {
  return canonicalEventText({ ...e, details: canonicalJson(e.details) });
}

export interface ChainCheck {
  ok: boolean;
  events: number;
  /** The first seq whose hash or position does not follow from the one before it. */
  brokenSeq: number | null;
  reason: string | null;
  /** The head: the last event that verified. */
  headSeq: number;
  headHash: string;
  /** Events whose time decreases or lies in the future (SPEC section 10), when `now` was given; the chain itself may be intact. */
  time: TimeFinding[];
}

/** Which format an event's stored details are in, and whether the text is exactly as its writer made it. */
export function detailsFormat(text: string): { format: 1 | 2; parsed: Record<string, unknown> | null; exact: boolean } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { format: 1, parsed: null, exact: false };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { format: 1, parsed: null, exact: false };
  const obj = parsed as Record<string, unknown>;
  if (obj.v === 2) return { format: 2, parsed: obj, exact: canonicalJson(obj) === text };
  // Format 1 was written with JSON.stringify: any other text (a duplicated key, spacing) was not.
  return { format: 1, parsed: obj, exact: JSON.stringify(obj) === text };
}

/**
 * Walks events in seq order, holding only the previous hash. `onEvent` sees each event that
 * verified, with its parsed details, so replay and checkpoints ride the same single pass.
 */
export async function verifyChain(
  events: AsyncIterable<StoredEvent>,
  onEvent?: (e: StoredEvent, details: Record<string, unknown>) => void,
  opts: { now?: number; prevHash?: string; firstSeq?: number } = {},
): Promise<ChainCheck> {
  // A walk may start mid-chain (audit checkpoint checks the head against the event before it).
  let prevHash = opts.prevHash ?? '';
  let expectedSeq = opts.firstSeq ?? 1;
  let count = 0;
  let seenFormat2 = false;
  const clock = opts.now === undefined ? null : new LogClock(opts.now);
  const time = clock?.findings ?? [];
  const broken = (seq: number, reason: string): ChainCheck => ({ ok: false, events: count, brokenSeq: seq, reason, headSeq: expectedSeq - 1, headHash: prevHash, time });
  for await (const e of events) {
    count++;
    if (e.seq !== expectedSeq) return broken(e.seq, `expected seq ${expectedSeq} (an event is missing)`);
    const f = detailsFormat(e.details);
    if (!f.exact || f.parsed === null) return broken(e.seq, 'details are not the canonical text that was hashed');
    if (f.format === 1 && seenFormat2) return broken(e.seq, 'a format 1 event after format 2 events');
    seenFormat2 ||= f.format === 2;
    const { hash, ...rest } = e;
    const expected = f.format === 2 ? storedEventHash(prevHash, rest) : eventHash(prevHash, { ...rest, details: f.parsed });
    if (expected !== hash) return broken(e.seq, 'hash does not match the event');
    clock?.see(e);
    onEvent?.(e, f.parsed);
    prevHash = hash;
    expectedSeq++;
  }
  return { ok: true, events: count, brokenSeq: null, reason: null, headSeq: expectedSeq - 1, headHash: prevHash, time };
}
