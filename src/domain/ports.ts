import { UsageError } from './errors.js';
import { clip } from './time.js';

/** A protocol rule: everything, nothing, or a list of port ranges. */
export type PortRule = 'ALLOW_ALL' | 'DENY_ALL' | string;
export const PROTOCOLS = ['tcp', 'udp', 'icmp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

interface Range {
  from: number;
  to: number;
}

/** Parses and canonicalises `ALLOW_ALL`, `DENY_ALL` or `22,443,8000-8100` (sorted, merged). */
export function parsePortRule(raw: string, what = 'port rule'): PortRule {
  const text = raw.trim();
  const up = text.toUpperCase();
  if (up === 'ALLOW_ALL' || up === 'DENY_ALL') return up;
  const bad = (why: string) =>
    new UsageError(
      `invalid ${what} ${JSON.stringify(clip(raw))}: ${why}`,
      'use ALLOW_ALL, DENY_ALL or ranges like 22,443,8000-8100 (ports 1-65535)',
    );
  if (text === '') throw bad('empty');
  const ranges: Range[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*([0-9]{1,5})(?:\s*-\s*([0-9]{1,5}))?\s*$/.exec(part);
    if (!m) throw bad(`${JSON.stringify(clip(part, 20))} is not a port or range`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to > 65535 || from > 65535) throw bad('ports are 1-65535');
    if (from > to) throw bad(`range ${from}-${to} runs backwards`);
    ranges.push({ from, to });
  }
  ranges.sort((a, b) => a.from - b.from);
  const merged: Range[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else merged.push({ ...r });
  }
  if (merged.length === 1 && merged[0]!.from === 1 && merged[0]!.to === 65535) return 'ALLOW_ALL';
  return merged.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(',');
}

export function portAllowed(rule: PortRule, port: number): boolean {
  if (rule === 'ALLOW_ALL') return true;
  if (rule === 'DENY_ALL') return false;
  return rule.split(',').some((part) => {
    const [a, b] = part.split('-');
    const from = Number(a);
    const to = b === undefined ? from : Number(b);
    return port >= from && port <= to;
  });
}

export function parsePort(raw: string): number {
  if (!/^[0-9]{1,5}$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > 65535) {
    throw new UsageError(`invalid port ${JSON.stringify(clip(raw))}`, 'ports are 1-65535');
  }
  return Number(raw);
}
