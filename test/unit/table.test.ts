import stringWidth from 'string-width';
import { beforeAll, describe, expect, it } from 'vitest';
import { cut, fitWidths, Lines, loadWidth, needsWidth, renderSecret, renderTable, renderVertical } from '../../src/output/table.js';

// Output loads string-width for a page that needs it (render.ts); these call the renderer directly.
beforeAll(loadWidth);

describe('which text needs string-width', () => {
  it('printable ASCII and the cutter\'s ellipsis do not; wide, combining, emoji and control characters do, wherever they sit', () => {
    expect(needsWidth({ id: 'grp_1', name: 'eng-oncall', users: ['a@example.com'], at: 5, none: null })).toBe(false);
    expect(needsWidth('abc…')).toBe(false);
    for (const text of ['日本語', 'Zoë', 'e\u0301', '👩‍💻', 'a\u001bb', 'a\tb']) {
      expect(needsWidth(text), JSON.stringify(text)).toBe(true);
      expect(needsWidth({ name: text })).toBe(true);
      expect(needsWidth({ users: ['x', text] })).toBe(true);
      expect(needsWidth({ links: new Lines(['x', text]) })).toBe(true);
      expect(needsWidth({ policy: { approvers: text } })).toBe(true);
    }
  });
});

const now = Date.UTC(2026, 10, 22, 23);

describe('cutting to terminal cells', () => {
  it('counts wide characters as two and never splits a grapheme', () => {
    expect(cut('abcdef', 4)).toBe('abc…');
    expect(cut('abc', 4)).toBe('abc');
    expect(cut('日本語のグループ', 7)).toBe('日本語…');
    expect(stringWidth(cut('日本語のグループ', 7))).toBeLessThanOrEqual(7);
    expect(cut('👩‍💻👩‍💻👩‍💻', 5)).toBe('👩‍💻👩‍💻…');
  });
});

describe('fitting columns', () => {
  it('the widest give way first; ids stay whole while anything else can give', () => {
    expect(fitWidths([20, 40, 6], [2, 4, 6], 1 + 3 * 3 + 50, [true, false, false])).toEqual([20, 24, 6]);
    expect(fitWidths([5, 5], [5, 5], 100)).toEqual([5, 5]);
  });

  it('a table with CJK and emoji names fits the terminal, every line', () => {
    const rows = Array.from({ length: 5 }, (_, i) => ({ id: `grp_${'x'.repeat(16)}`, name: `事故対応グループ-${i}-🚨🚨🚨-long-name`, users: ['usr_aaaaaaaaaaaaaaaa', 'usr_bbbbbbbbbbbbbbbb'] }));
    const text = renderTable(['id', 'name', 'users'], rows, { color: false, now, width: 60 });
    for (const line of text.trimEnd().split('\n')) expect(stringWidth(line)).toBeLessThanOrEqual(60);
    expect(text).toContain('grp_xxxxxxxxxxxxxxxx');
  });

  it('a time is never cut: whole, or its relative form, or its column dropped and named', () => {
    const row = { name: 'n'.repeat(30), expiresAt: '2026-11-23T01:00:00.000Z', note: 'x'.repeat(20) };
    const whole = renderTable(['name', 'expiresAt', 'note'], [row], { color: false, now, width: 80, naming: ['name'] });
    expect(whole).toContain('│ in 2h (2026-11-23 01:00 UTC) │');
    // 30 + 28 + 8 + 10 does not fit 62: the other column gives way first, then the time to "in 2h", whole.
    const narrow = renderTable(['name', 'expiresAt', 'note'], [row], { color: false, now, width: 62, naming: ['name'] });
    expect(narrow).toMatch(/│ in 2h +│ x+…? +│/);
    expect(narrow).not.toMatch(/\(2026|\d…/);
    const tight = renderTable(['name', 'expiresAt'], [{ ...row, name: 'n'.repeat(60) }], { color: false, now, width: 70, naming: ['name'] });
    expect(tight).not.toContain('expiresAt │');
    expect(tight).toContain('(not shown: expiresAt; --wide shows every column)');
  });

  it('piped (no width): nothing is cut', () => {
    const text = renderTable(['name'], [{ name: 'n'.repeat(300) }], { color: false, now });
    expect(text).toContain('n'.repeat(300));
  });
});

describe('one object, and a new secret', () => {
  it('field  value lines, times with their relative form', () => {
    const text = renderVertical(['id', 'expiresAt'], [{ id: 'grp_1', expiresAt: '2026-11-23T01:00:00.000Z' }], { color: false, now });
    expect(text).toBe('id         grp_1\nexpiresAt  2026-11-23T01:00:00.000Z (in 2h)\n');
  });
  it('the token after a blank line, alone and whole, even on a narrow terminal', () => {
    const token = `ack_${'A'.repeat(38)}`;
    const text = renderSecret(['id', 'token'], [{ id: 'key_1', token }], { color: false, now, width: 20 });
    expect(text).toBe(`id  key_1\n\n${token}\n`);
  });

  it('characters the text gate refuses are shown as code points, in a table and in a record', () => {
    const row = { id: 'req_1', reason: 'a\u001b[31mb\u202ec\u200bd\u0085e' };
    const shown = 'a<U+001B>[31mb<U+202E>c<U+200B>d<U+0085>e';
    expect(renderVertical(['id', 'reason'], [row], { color: false, now })).toContain(`reason  ${shown}`);
    expect(renderTable(['id', 'reason'], [row], { color: false, now, width: 200 })).toContain(shown);
    // Names in other scripts and wide characters are printed as they are.
    expect(renderVertical(['id', 'reason'], [{ id: 'req_2', reason: 'Zoë 日本 ﷺ' }], { color: false, now })).toContain('reason  Zoë 日本 ﷺ');
  });
});
