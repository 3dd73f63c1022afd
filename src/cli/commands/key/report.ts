import { ExitCode, UsageError, UserError } from '../../../domain/errors.js';
import { formatTimestamp } from '../../../domain/time.js';
import { getService } from '../../../store/services.js';
import { streamKeys, type KeyRow } from '../../../store/keys.js';
import type { OutputRecord } from '../../../output/fields.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { ROTATED_RE, statusOf } from './run.js';

const DAY = 86_400_000;

/** What `key report` flags, in the order it lists them. Only ACTIVE keys have findings: the rest grant nothing. */
export const FINDINGS = ['NO_EXPIRY', 'EXPIRING_7D', 'NEVER_USED', 'UNUSED_90D', 'OVERLAP_OPEN', 'SERVICE_DISABLED'] as const;
export type Finding = (typeof FINDINGS)[number];

/** A key renamed by `key rotate` and still ACTIVE is winding down over its overlap. */

export function findingsOf(k: KeyRow, now: number): Finding[] {
  if (statusOf(k, now) !== 'ACTIVE') return [];
  const out: Finding[] = [];
  if (k.expires_at === null) out.push('NO_EXPIRY');
  else if (k.expires_at - now <= 7 * DAY) out.push('EXPIRING_7D');
  if (k.last_used_at === null) out.push('NEVER_USED');
  // Never used counts from creation, as in `key list --unused-for`.
  if ((k.last_used_at ?? k.created_at) <= now - 90 * DAY) out.push('UNUSED_90D');
  if (ROTATED_RE.test(k.name)) out.push('OVERLAP_OPEN');
  if (k.service_state !== 'ACTIVE') out.push('SERVICE_DISABLED');
  return out;
}

export function parseFindings(text: string): Finding[] {
  const names = text
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== '');
  const unknown = names.filter((n) => !(FINDINGS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new UsageError(`unknown finding ${unknown.map((u) => JSON.stringify(u.slice(0, 40))).join(', ') || '(none given)'} in --fail-on`, `use ${FINDINGS.join(', ')}`);
  }
  return names as Finding[];
}

export interface KeyReportOptions {
  service?: string | undefined;
  failOn?: string | undefined;
}

/**
 * A credential report, one row per key (keys sorted by service, then name). With --fail-on it
 * exits 7 once every row is printed if any key has one of the named findings: cron and CI act on it.
 */
export async function runKeyReport(opts: KeyReportOptions, ctx: Ctx): Promise<Output> {
  const failOn = opts.failOn === undefined ? undefined : new Set(parseFindings(opts.failOn));
  const db = ctx.store().db;
  const now = ctx.clock.now();
  const serviceId = opts.service === undefined ? undefined : (await getService(db, opts.service)).id;
  const hits = new Map<Finding, number>();
  async function* records(): AsyncIterable<OutputRecord> {
    for await (const k of streamKeys(db, serviceId)) {
      const findings = findingsOf(k, now);
      for (const f of findings) if (failOn?.has(f)) hits.set(f, (hits.get(f) ?? 0) + 1);
      yield {
      id: k.id,
      serviceId: k.service_id,
      serviceName: k.service_name,
      name: k.name,
      status: statusOf(k, now),
      createdAt: formatTimestamp(k.created_at),
      expiresAt: formatTimestamp(k.expires_at),
      // Rounded like the relative times in tables: a 365-day key read a second later has 365 left.
      daysLeft: k.expires_at === null ? null : Math.max(0, Math.round((k.expires_at - now) / DAY)),
      lastUsedAt: formatTimestamp(k.last_used_at),
      findings,
      };
    }
  }
  // The rows stream; whether to exit 7 is known only once they have all been printed.
  return {
    kind: 'keyReport',
    records: records(),
    get after() {
      if (hits.size === 0) return undefined;
      const summary = [...hits].map(([f, n]) => `${n} key(s) ${f}`).join(', ');
      return new UserError('FINDINGS', ExitCode.findings, `key report found ${summary}`, 'see the findings column');
    },
  };
}
