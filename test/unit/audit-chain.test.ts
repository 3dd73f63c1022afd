import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalEvent, type AuditEvent } from '../../src/domain/audit-chain.js';
import { canonicalJson, canonicalJsonByHand } from '../../src/domain/canonical-json.js';

describe('audit chain serialisation', () => {
  it('canonicalJson (a sorted copy through JSON.stringify) writes exactly what its definition writes, whatever the value', () => {
    // Integer-like and __proto__ keys, undefined members and items, nested arrays, odd strings,
    // -0, NaN, dates and functions: the fast form either agrees or hands over to the definition.
    const key = fc.oneof(fc.string(), fc.constantFrom('0', '1', '10', '2', '01', '__proto__', 'constructor', 'toJSON', 'a', 'B', 'é', '\ud800'));
    const leaf = fc.oneof(fc.jsonValue(), fc.constantFrom(undefined, -0, Number.NaN, Infinity, new Date(0), () => 1, '\u2028\ud800'));
    const value = fc.letrec((tie) => ({
      any: fc.oneof({ depthSize: 'small' }, leaf, tie('arr'), tie('obj')),
      arr: fc.array(tie('any'), { maxLength: 5 }),
      obj: fc.dictionary(key, tie('any'), { maxKeys: 6 }),
    })).any;
    fc.assert(fc.property(value, (v) => canonicalJson(v) === canonicalJsonByHand(v)), { numRuns: 2000 });
    const proto = JSON.parse('{"__proto__":{"x":1},"b":2}') as unknown;
    expect(canonicalJson(proto)).toBe('{"__proto__":{"x":1},"b":2}');
    expect(canonicalJson({ 10: 'a', 2: 'b', x: [undefined, { b: 1, a: undefined }] })).toBe('{"10":"a","2":"b","x":[null,{"b":1}]}');
  });

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
