import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkValue, MAX_DEPTH, scanJsonText, scanYamlText, TextProblem } from '../../src/domain/access-code/limits.js';
import { FileProblem } from '../../src/domain/access-code/model.js';
import { expiryAfter, formatTimestamp, MAX_TIME_MS, MIN_TIME_MS, parseTimestamp } from '../../src/domain/time.js';

const lineOf = (run: () => void): number | null => {
  try {
    run();
    return null;
  } catch (err) {
    if (err instanceof TextProblem) return err.line;
    throw err;
  }
};

describe('the text scan of an access file', () => {
  it('JSON: depth 64 passes, 65 is refused with its line; 50,000 brackets cost a scan, not a stack', () => {
    expect(lineOf(() => scanJsonText(`${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}`))).toBeNull();
    expect(lineOf(() => scanJsonText(`{\n"a":\n${'['.repeat(MAX_DEPTH)}]`))).toBe(3);
    expect(lineOf(() => scanJsonText('['.repeat(50_000)))).toBe(1);
  });

  it('JSON: brackets and quotes inside strings are text', () => {
    expect(lineOf(() => scanJsonText(JSON.stringify({ description: '['.repeat(500) + '"\\' })))).toBeNull();
  });

  it('JSON: a key given twice in one object is refused (escapes decoded), the same key in two objects is not', () => {
    expect(lineOf(() => scanJsonText('{"users": [{"email": "a"}, {"email": "b"}]}'))).toBeNull();
    expect(lineOf(() => scanJsonText('{"users": [],\n "us\\u0065rs": []}'))).toBe(2);
  });

  it('YAML: flow and block nesting both count, comments and quoted brackets do not', () => {
    expect(lineOf(() => scanYamlText(`a: "${'['.repeat(100)}" # ${'{'.repeat(100)}\nb: it's [fine]\n`))).toBeNull();
    expect(lineOf(() => scanYamlText(`users:\n  - ${'['.repeat(MAX_DEPTH)}`))).toBe(2);
    expect(lineOf(() => scanYamlText(`${'- '.repeat(MAX_DEPTH + 1)}x\n`))).toBe(1);
    const block = Array.from({ length: MAX_DEPTH + 1 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
    expect(lineOf(() => scanYamlText(block))).toBe(MAX_DEPTH + 1);
    // A block scalar's own indentation is its text, not nesting.
    const literal = `description: |\n${Array.from({ length: 100 }, (_, i) => `${' '.repeat(i + 2)}x`).join('\n')}\nname: y\n`;
    expect(lineOf(() => scanYamlText(literal))).toBeNull();
  });

  it('YAML: a block scalar over 64 KiB is refused at its first line, however many lines it spans', () => {
    const line = `      ${'a'.repeat(63)}\n`;
    expect(lineOf(() => scanYamlText(`services:\n  - name: x\n    description: >\n${line.repeat(1000)}`))).toBe(3);
    expect(lineOf(() => scanYamlText(`services:\n  - name: x\n    description: |\n${line.repeat(900)}  - name: y\n`))).toBeNull();
  });

  it('YAML: a line over 1 MiB is refused before any parser sees it', () => {
    expect(lineOf(() => scanYamlText(`a: b\nc: ${'x'.repeat(1024 * 1024)}\n`))).toBe(2);
  });

  it('the YAML scan never refuses a file of ordinary depth (any indentation of a 5-level document)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), (step) => {
        const pad = (n: number) => ' '.repeat(n * step);
        const doc = `groups:\n${pad(1)}- name: g\n${pad(2)}members:\n${pad(3)}- email: a@example.com\n${pad(4)}expiresAt: 2026-12-01T00:00:00Z\n`;
        expect(lineOf(() => scanYamlText(doc))).toBeNull();
      }),
    );
  });
});

describe('the parsed value', () => {
  it('depth 64 passes, 65 names the path; a long text names its field', () => {
    let ok: unknown = 'x';
    for (let i = 1; i < MAX_DEPTH; i++) ok = [ok];
    expect(() => checkValue({ a: ok })).not.toThrow();
    expect(() => checkValue({ a: [ok] })).toThrow(FileProblem);
    expect(() => checkValue({ services: [{ description: 'x'.repeat(64 * 1024 + 1) }] })).toThrow(expect.objectContaining({ path: ['services', '0', 'description'] }));
  });
});

describe('times the tool accepts are times it writes and reads back', () => {
  it('the years 0001-9999 in UTC, after the offset', () => {
    expect(formatTimestamp(MIN_TIME_MS)).toBe('0001-01-01T00:00:00.000Z');
    expect(formatTimestamp(MAX_TIME_MS)).toBe('9999-12-31T23:59:59.999Z');
    expect(parseTimestamp('0001-01-01T00:00:00Z')).toBe(MIN_TIME_MS);
    expect(parseTimestamp('9999-12-31T23:59:59.999Z')).toBe(MAX_TIME_MS);
    expect(() => parseTimestamp('9999-12-31T23:59:59-14:00')).toThrow(/outside the years 0001-9999/);
    expect(() => parseTimestamp('0001-01-01T00:00:00+00:01')).toThrow(/outside the years 0001-9999/);
    expect(() => parseTimestamp('0000-06-01T00:00:00Z')).toThrow(/outside the years 0001-9999/);
    // The years 1-99 are themselves, not 1901-1999 (Date.UTC's reading).
    expect(formatTimestamp(parseTimestamp('0099-12-31T10:00:00Z'))).toBe('0099-12-31T10:00:00.000Z');
  });

  it('round trip: whatever parseTimestamp accepts, formatTimestamp writes and parseTimestamp reads back', () => {
    const two = (n: number) => String(n).padStart(2, '0');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 28 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: -14, max: 14 }),
        (y, mo, d, h, off) => {
          const text = `${String(y).padStart(4, '0')}-${two(mo)}-${two(d)}T${two(h)}:00:00${off < 0 ? '-' : '+'}${two(Math.abs(off))}:00`;
          let ms: number;
          try {
            ms = parseTimestamp(text);
          } catch {
            return; // refused: never stored
          }
          expect(parseTimestamp(formatTimestamp(ms)!)).toBe(ms);
        },
      ),
    );
  });

  it('now + ttl past 9999 is refused', () => {
    expect(() => expiryAfter(MAX_TIME_MS - 1000, 2000)).toThrow(/ends after 9999-12-31T23:59:59\.999Z/);
    expect(expiryAfter(0, 1000)).toBe(1000);
  });
});
