import type { AccessChange, TestResult } from '../../../domain/access-code/effective.js';
import type { FieldChange, ObjectChange } from '../../../domain/access-code/plan.js';
import { policyText } from '../../../output/policy-text.js';
import { render } from '../../../output/render.js';
import type { OutputRecord } from '../../../output/fields.js';
import type { Ctx } from '../../context.js';
import type { PlanReport } from './report.js';

/**
 * A plan for people (table format): objects, then access, then tests, then the plan id. For
 * bots: one JSON document (`-f json`), or one flat line per item (`-f ndjson`, `-f csv`).
 * `-q` prints the plan id alone.
 */
export async function printPlan(ctx: Ctx, report: PlanReport, applied?: { events: number }): Promise<void> {
  const g = ctx.globals();
  const out = ctx.io.stdout;
  if (g.quiet) {
    // -q prints nothing when the answer is "no" (a test fails), as elsewhere.
    if (report.tests.every((t) => t.ok)) await out.write(`${report.planId}\n`);
    return;
  }
  if (g.format === 'json') {
    const doc = {
      file: report.fileName,
      fileSha256: report.fileSha256,
      planId: report.planId,
      prune: report.prune,
      pruneGuard: report.pruneGuard,
      summary: summary(report),
      changes: report.changes,
      access: report.access,
      tests: report.tests.map(testRecord),
      ...(applied ? { applied: true, auditEvents: applied.events } : {}),
    };
    await out.write(`${JSON.stringify(doc, null, 2)}\n`);
    return;
  }
  if (g.format === 'csv' || g.format === 'ndjson') {
    await render(out, 'planLine', planLines(report), { format: g.format, quiet: false, columns: g.columns, header: g.header, color: false, now: ctx.clock.now() });
    return;
  }
  await out.write(planText(report, applied));
}

export function summary(r: PlanReport) {
  const count = (op: string) => r.changes.filter((c) => c.op === op).length;
  return {
    create: count('+'),
    change: count('~'),
    delete: count('-'),
    accessGained: r.access.filter((a) => a.change === '+').length,
    accessChanged: r.access.filter((a) => a.change === '~').length,
    accessLost: r.access.filter((a) => a.change === '-').length,
    tests: r.tests.length,
    testsFailed: r.tests.filter((t) => !t.ok).length,
  };
}

export function testRecord(t: TestResult): OutputRecord {
  return { result: t.ok ? 'PASS' : 'FAIL', subjectType: t.subjectType, subject: t.subject, expect: t.expect, target: t.target, at: t.at, detail: t.detail };
}

const until = (v: unknown) => (v === null || v === undefined ? 'permanent' : `until ${String(v)}`);
const value = (v: unknown) => (v === null || v === undefined || v === '' ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));

/** A link's window: `until T` or `permanent`, with `from S` before it when the membership starts later. */
const span = (starts: string | null | undefined, ends: unknown) => (starts ? `from ${starts} ${until(ends)}` : until(ends));

function fieldText(c: ObjectChange, f: FieldChange): string | null {
  if (f.item !== undefined) {
    if (f.op === '~') return `${f.field}: ~ ${f.item} (${span(f.startsFrom, f.from)} → ${span(f.startsTo, f.to)})`;
    return `${f.field}: ${f.op} ${f.item}${f.op === '+' ? ` (${span(f.startsTo, f.to)})` : ''}`;
  }
  if (f.field === 'request') return c.op === '+' ? `request: ${policyText(f.to)}` : `request: ${policyText(f.from)} → ${policyText(f.to)}`;
  if (c.op === '+') return f.to === null || f.to === '' || f.field === 'name' || f.field === 'email' ? null : `${f.field}: ${value(f.to)}`;
  return `${f.field}: ${value(f.from)} → ${value(f.to)}`;
}

export function planText(r: PlanReport, applied?: { events: number }): string {
  const lines: string[] = [];
  const s = summary(r);
  if (r.changes.length === 0) lines.push(`No changes: the store matches ${r.fileName}.`);
  for (const c of r.changes) {
    lines.push(`${c.op} ${c.type} ${c.name}`);
    if (c.op === '-') continue;
    for (const f of c.fields) {
      const text = fieldText(c, f);
      if (text) lines.push(`    ${text}`);
    }
  }
  if (r.access.length > 0) {
    lines.push('', 'Access:');
    for (const a of r.access) lines.push(accessLine(a));
  }
  if (r.tests.length > 0) {
    lines.push('', 'Tests:');
    for (const t of r.tests) lines.push(testLine(t));
  }
  lines.push(
    '',
    `${applied ? 'Applied' : 'Plan'}: ${s.create} to create, ${s.change} to change, ${s.delete} to delete; access ${s.accessGained} gained, ${s.accessChanged} changed, ${s.accessLost} lost; ${s.tests} tests, ${s.testsFailed} failed.`,
    `Plan id: ${r.planId}`,
  );
  if (r.pruneGuard && !applied) {
    lines.push(`Held: --prune would delete ${r.pruneGuard.reason}; apply refuses it unless --max-delete ${r.pruneGuard.needs} allows it.`);
  }
  return `${lines.join('\n')}\n`;
}

function accessLine(a: AccessChange): string {
  const head = `${a.change} ${a.subjectType} ${a.subject} → ${a.resource}`;
  if (a.change === '-') return `${head} (was ${a.was})`;
  const now = `via ${a.via} ${until(a.until)}`;
  return a.change === '~' ? `${head} ${now} (was ${a.was})` : `${head} ${now}`;
}

export function testLine(t: TestResult): string {
  return `${t.ok ? 'PASS' : 'FAIL'} ${t.subjectType} ${t.subject} ${t.expect} ${t.target}${t.at ? ` at ${t.at}` : ''}: ${t.detail}`;
}

function* planLines(r: PlanReport): Iterable<OutputRecord> {
  const empty = { field: null, item: null, from: null, to: null, via: null, until: null, detail: null };
  for (const c of r.changes) {
    yield { ...empty, section: 'object', op: c.op, type: c.type, name: c.name };
    for (const f of c.fields) {
      // A membership's start has no column of its own in a flat line: `detail` says it.
      const detail = f.startsFrom === undefined && f.startsTo === undefined ? null : `starts ${f.startsFrom ?? 'at once'} → ${f.startsTo ?? 'at once'}`;
      yield { ...empty, section: 'field', op: f.op ?? c.op, type: c.type, name: c.name, field: f.field, item: f.item ?? null, from: f.from, to: f.to, detail };
    }
  }
  for (const a of r.access) yield { ...empty, section: 'access', op: a.change, type: a.subjectType, name: a.subject, item: a.resource, via: a.via, until: a.until, detail: a.was };
  for (const t of r.tests) yield { ...empty, section: 'test', op: t.ok ? 'PASS' : 'FAIL', type: t.subjectType, name: t.subject, field: t.expect, item: t.target, until: t.at, detail: t.detail };
  if (r.pruneGuard) yield { ...empty, section: 'guard', op: '-', type: null, name: r.fileName, item: `--max-delete ${r.pruneGuard.needs}`, detail: `--prune would delete ${r.pruneGuard.reason}` };
  yield { ...empty, section: 'plan', op: null, type: null, name: r.fileName, detail: r.planId };
}
