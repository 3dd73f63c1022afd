import { describe, expect, it } from 'vitest';
import { formatDuration, formatRelative, parseDays, parseDuration, parseSince, parseTimestamp } from '../../src/domain/time.js';

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
