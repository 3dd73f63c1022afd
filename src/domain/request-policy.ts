import { canonicalJson } from './canonical-json.js';
import { UsageError } from './errors.js';
import { formatDuration, parseDuration } from './time.js';

/**
 * A group's request policy (SPEC section 15): who approves, how many of them, for how long a
 * grant may last and how long a request waits. Stored as canonical JSON in groups.request_policy
 * (null: the group is not requestable), so replay and db check compare it as text.
 */
export interface RequestPolicy {
  /** The group whose started, unexpired members approve. */
  approvers: string;
  /** Distinct approvers needed. */
  approvals: number;
  maxDuration: number;
  pendingTtl: number;
  requireReason: boolean;
  breakGlass: boolean;
}

export const POLICY_DEFAULTS = {
  approvals: 1,
  maxDuration: 8 * 3_600_000,
  pendingTtl: 24 * 3_600_000,
  requireReason: true,
  breakGlass: false,
} as const;

export const MAX_APPROVALS = 20;
export const MAX_GRANT_MS = 366 * 86_400_000;
export const MAX_PENDING_MS = 30 * 86_400_000;

export function serializePolicy(p: RequestPolicy): string {
  return canonicalJson({
    approvals: p.approvals,
    approvers: p.approvers,
    breakGlass: p.breakGlass,
    maxDuration: p.maxDuration,
    pendingTtl: p.pendingTtl,
    requireReason: p.requireReason,
  });
}

/**
 * The stored text back as a policy; null for a group that is not requestable. Text that is not a
 * policy (a hand-edited row) reads as none: nothing can be requested or approved through it, and
 * db check reports the row against the log.
 */
export function parsePolicy(text: string | null | undefined): RequestPolicy | null {
  if (text === null || text === undefined) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const int = (x: unknown, lo: number, hi: number) => typeof x === 'number' && Number.isSafeInteger(x) && x >= lo && x <= hi;
  if (typeof o.approvers !== 'string' || !int(o.approvals, 1, MAX_APPROVALS)) return null;
  if (!int(o.maxDuration, 1, MAX_GRANT_MS) || !int(o.pendingTtl, 1, MAX_PENDING_MS)) return null;
  if (typeof o.requireReason !== 'boolean' || typeof o.breakGlass !== 'boolean') return null;
  return {
    approvers: o.approvers,
    approvals: o.approvals as number,
    maxDuration: o.maxDuration as number,
    pendingTtl: o.pendingTtl as number,
    requireReason: o.requireReason,
    breakGlass: o.breakGlass,
  };
}

/** What `group update --requestable` and an access-as-code file's `request:` say, before the approvers are resolved. */
export interface PolicyInput {
  maxDuration?: string | number | undefined;
  approvals?: string | number | undefined;
  pendingTtl?: string | number | undefined;
  requireReason?: boolean | undefined;
  breakGlass?: boolean | undefined;
}

/**
 * Validates the parts of a policy that need no store, with `base` (the group's current policy,
 * when it has one) supplying what the input leaves out, and the defaults after that.
 * `where` prefixes messages: `--max-duration` on the command line, `groups[2].request.maxDuration` in a file.
 */
export function buildPolicy(approvers: string, input: PolicyInput, base: RequestPolicy | null, where: (field: string) => string): RequestPolicy {
  const duration = (field: 'maxDuration' | 'pendingTtl', max: number, maxText: string): number => {
    const raw = input[field];
    if (raw === undefined) return base?.[field] ?? POLICY_DEFAULTS[field];
    const ms = typeof raw === 'number' ? raw : parseDuration(raw, where(field));
    if (!Number.isSafeInteger(ms) || ms <= 0) throw new UsageError(`invalid ${where(field)} ${JSON.stringify(String(raw))}`, 'for example 8h');
    if (ms > max) throw new UsageError(`invalid ${where(field)} ${JSON.stringify(String(raw))}: longer than ${maxText}`);
    return ms;
  };
  let approvals = base?.approvals ?? POLICY_DEFAULTS.approvals;
  if (input.approvals !== undefined) {
    const text = String(input.approvals).trim();
    if (!/^[0-9]{1,3}$/.test(text) || Number(text) < 1 || Number(text) > MAX_APPROVALS) {
      throw new UsageError(`invalid ${where('approvals')} ${JSON.stringify(String(input.approvals).slice(0, 40))}`, `a whole number from 1 to ${MAX_APPROVALS}`);
    }
    approvals = Number(text);
  }
  return {
    approvers,
    approvals,
    maxDuration: duration('maxDuration', MAX_GRANT_MS, '366 days'),
    pendingTtl: duration('pendingTtl', MAX_PENDING_MS, '30 days'),
    requireReason: input.requireReason ?? base?.requireReason ?? POLICY_DEFAULTS.requireReason,
    breakGlass: input.breakGlass ?? base?.breakGlass ?? POLICY_DEFAULTS.breakGlass,
  };
}

/** The policy as people read it (group show, export): durations as durations, the approvers by name. */
export function describePolicy(p: RequestPolicy, approversName: string): Record<string, string | number | boolean> {
  return {
    approvers: approversName,
    approvals: p.approvals,
    maxDuration: formatDuration(p.maxDuration),
    pendingTtl: formatDuration(p.pendingTtl),
    requireReason: p.requireReason,
    breakGlass: p.breakGlass,
  };
}
