import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCell, unescapeCsvCell } from '../../src/output/render.js';

describe('CSV cells against formula injection (SPEC section 7)', () => {
  it.each([
    ['=HYPERLINK("http://evil","x")', `'=HYPERLINK("http://evil","x")`],
    ["+cmd|' /C calc'!A0", `'+cmd|' /C calc'!A0`],
    ['-2+3+cmd', `'-2+3+cmd`],
    ['@SUM(A1:A2)', `'@SUM(A1:A2)`],
    ['\t=1', `'\t=1`],
    ['\r=1', `'\r=1`],
    ["'=1", `''=1`],
  ])('%j is printed as %j', (raw, printed) => expect(csvCell(raw)).toBe(printed));

  it.each([
    [-3, '-3'],
    ['-3', '-3'],
    ['-0.5', '-0.5'],
    [42, '42'],
    ['2026-11-22T23:00:00.000Z', '2026-11-22T23:00:00.000Z'],
    ['22,443,8000-8100', '22,443,8000-8100'],
    ['ALLOW_ALL', 'ALLOW_ALL'],
    ["O'Brien", "O'Brien"],
    ['ops', 'ops'],
    [null, ''],
    [['=a', 'b'], "'=a;b"],
  ])('%j is a value, printed as %j', (raw, printed) => expect(csvCell(raw)).toBe(printed));

  it('property: the escape is undone exactly on import, and nothing printed starts a formula', () => {
    const text = fc.oneof(fc.string(), fc.constantFrom('=1', '+1', '-1', '@a', "'=x", "''+y", '-', "'", '-1.5', '-1e3'), fc.string().map((s) => `=${s}`), fc.string().map((s) => `'-${s}`));
    fc.assert(
      fc.property(text, (s) => {
        const printed = csvCell(s);
        return unescapeCsvCell(printed) === s && (!/^[=+\-@\t\r]/.test(printed) || /^-\d+(\.\d+)?$/.test(printed));
      }),
      { numRuns: 2000 },
    );
  });
});
