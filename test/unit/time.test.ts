import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, formatRelative, formatTimestamp, parseDays, parseDuration, parseSince, parseTimestamp } from '../../src/domain/time.js';

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
  it.each(['', '0h', '-1h', '1.5h', '2', 'h', '2 h', '2H', '1y', '99999999999999w', '1e3s', '1h1h', '30m1h', '1h 30m', '0h0m'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(/invalid duration/);
  });
  it.each([
    ['1h30m', 5_400_000],
    ['1d12h', 129_600_000],
    ['2w3d', 1_468_800_000],
    ['1m30s', 90_000],
  ])('compound %s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it('days flags: a bare number is days, a duration is accepted too', () => {
    expect(parseDays('90')).toBe(parseDuration('90d'));
    expect(parseDays('36h')).toBe(36 * 3_600_000);
    expect(parseDays('0')).toBe(0);
    expect(() => parseDays('90 days')).toThrow(expect.objectContaining({ message: 'invalid duration "90 days"', hint: 'a number of days (90), or a duration: 36h, 2w, 1d12h' }));
  });
});

describe('timestamps', () => {
  it('reads ISO times in UTC and with offsets', () => {
    expect(parseTimestamp('2026-11-22T23:00:00Z')).toBe(Date.UTC(2026, 10, 22, 23));
    expect(parseTimestamp('2026-11-22T23:00:00.123Z')).toBe(Date.UTC(2026, 10, 22, 23, 0, 0, 123));
    expect(parseTimestamp('2026-11-23T00:00:00+01:00')).toBe(Date.UTC(2026, 10, 22, 23));
    expect(parseTimestamp('2026-11-22')).toBe(Date.UTC(2026, 10, 22));
    // No zone means UTC, never the machine's zone.
    expect(parseTimestamp('2026-11-22T23:00')).toBe(Date.UTC(2026, 10, 22, 23));
  });
  it.each(['2026-02-30', '2026-13-01', 'tomorrow', '2026-11-22T25:00Z', '1700000000', '2026-11-22T23:00:00+25:00', ''])('refuses %j', (text) => {
    expect(() => parseTimestamp(text)).toThrow(/invalid time/);
  });
  it('--since takes a duration back from now or a time', () => {
    const now = Date.UTC(2026, 10, 22);
    expect(parseSince('1d', now)).toBe(now - 86_400_000);
    expect(parseSince('2026-11-01T00:00:00Z', now)).toBe(Date.UTC(2026, 10, 1));
  });
  it('relative forms for tables', () => {
    const now = Date.UTC(2026, 10, 22);
    expect(formatRelative(now + 2 * 3_600_000, now)).toBe('in 2h');
    expect(formatRelative(now - 3 * 86_400_000, now)).toBe('3d ago');
    expect(formatRelative(now, now)).toBe('now');
  });
  it('rounds to the nearest unit: a 2h TTL read a moment later is still "in 2h"', () => {
    const now = Date.UTC(2026, 10, 22);
    expect(formatRelative(now + 2 * 3_600_000 - 350, now)).toBe('in 2h');
    expect(formatRelative(now + 90 * 86_400_000 - 2_000, now)).toBe('in 90d');
    expect(formatRelative(now + 59 * 60_000 + 50_000, now)).toBe('in 1h');
    expect(formatRelative(now - 89_000, now)).toBe('1m ago');
    expect(formatRelative(now + 400, now)).toBe('now');
  });
});

describe('formatTimestamp', () => {
  it('writes exactly what Date#toISOString writes, in any order of calls', () => {
    const ms = fc.oneof(fc.integer({ min: 0, max: 253_402_300_799_999 }), fc.integer({ min: -1e15, max: 1e15 }), fc.double({ min: -1e13, max: 1e13, noNaN: true }), fc.constantFrom(0, 86_399_999, 86_400_000, 253_402_300_799_999, 253_402_300_800_000, -1));
    fc.assert(fc.property(fc.array(ms, { minLength: 1, maxLength: 20 }), (list) => list.every((x) => formatTimestamp(x) === new Date(x).toISOString())), { numRuns: 3000 });
    // A day's events in time order, across midnight.
    for (let t = 1_796_515_200_000 - 5_000; t < 1_796_515_200_000 + 5_000; t += 7) expect(formatTimestamp(t)).toBe(new Date(t).toISOString());
    expect(formatTimestamp(null)).toBeNull();
    expect(() => formatTimestamp(Number.NaN)).toThrow(RangeError);
  });
});
