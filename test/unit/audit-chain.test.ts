import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalEvent, type AuditEvent } from '../../src/domain/audit-chain.js';
import { canonicalJson } from '../../src/domain/canonical-json.js';

describe('audit chain serialisation', () => {
  it('canonicalEvent is exactly canonicalJson of the event', () => {
    const event = fc.record({
      seq: fc.nat(),
      id: fc.string(),
      at: fc.integer(),
      actor: fc.string({ unit: 'grapheme' }),
      action: fc.string(),
      targetType: fc.string(),
      targetId: fc.string(),
      details: fc.dictionary(fc.string(), fc.jsonValue()),
    });
    fc.assert(fc.property(event, (e) => canonicalEvent(e as AuditEvent) === canonicalJson(e)));
    expect(canonicalEvent({ seq: 1, id: 'evt_1', at: 5, actor: 'a', action: 'x.y', targetType: 't', targetId: 'i', details: { b: 1, a: [2, { d: 1, c: 0 }] } })).toBe(
      '{"action":"x.y","actor":"a","at":5,"details":{"a":[2,{"c":0,"d":1}],"b":1},"id":"evt_1","seq":1,"targetId":"i","targetType":"t"}',
    );
  });
});
