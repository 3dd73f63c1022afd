import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

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

/** hash = SHA-256(previous hash + canonical JSON of the event); the first event chains from "". */
export function eventHash(prevHash: string, event: AuditEvent): string {
  return createHash('sha256').update(prevHash + canonicalEvent(event), 'utf8').digest('hex');
}

/**
 * canonicalJson(event), written out: an event's keys are fixed, so their sorted order is too.
 * test/unit/audit-chain.test.ts checks the two agree on arbitrary events.
 */
export function canonicalEvent(e: AuditEvent): string {
  const str = JSON.stringify;
  return `{"action":${str(e.action)},"actor":${str(e.actor)},"at":${str(e.at)},"details":${canonicalJson(e.details)},"id":${str(e.id)},"seq":${str(e.seq)},"targetId":${str(e.targetId)},"targetType":${str(e.targetType)}}`;
}

export interface ChainCheck {
  ok: boolean;
  events: number;
  /** The first seq whose hash or position does not follow from the one before it. */
  brokenSeq: number | null;
  reason: string | null;
}

/** Walks events in seq order, holding only the previous hash. */
export async function verifyChain(events: AsyncIterable<AuditEvent & { hash: string }>): Promise<ChainCheck> {
  let prevHash = '';
  let expectedSeq = 1;
  let count = 0;
  for await (const e of events) {
    count++;
    if (e.seq !== expectedSeq) {
      return { ok: false, events: count, brokenSeq: e.seq, reason: `expected seq ${expectedSeq} (an event is missing)` };
    }
    const { hash, ...event } = e;
    if (eventHash(prevHash, event) !== hash) {
      return { ok: false, events: count, brokenSeq: e.seq, reason: 'hash does not match the event' };
    }
    prevHash = hash;
    expectedSeq++;
  }
  return { ok: true, events: count, brokenSeq: null, reason: null };
}
