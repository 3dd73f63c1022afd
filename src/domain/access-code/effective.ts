import { accessUntil, evaluateAccess, type Decision, type ResourceFacts, type Subject } from '../access.js';
import { stateCandidates, type State } from '../state.js';
import { formatTimestamp } from '../time.js';
import { nameKey } from '../validate.js';
import type { ResourcesTable } from '../rows.js';
import type { DeclaredTest, TestTarget } from './model.js';
import { affectedSubjects, narrowedTo } from './affected.js';

export const resourceFactsOf = (r: ResourcesTable): ResourceFacts => ({
  id: r.id,
  name: r.name,
  address: r.address,
  isActive: r.is_active === 1,
  tcp: r.tcp,
  udp: r.udp,
  icmp: r.icmp === 1,
});

function subjectOf(state: State, kind: 'user' | 'service', id: string): Subject | undefined {
  if (kind === 'user') {
    const u = state.users.get(id);
    return u && { kind, id, name: u.email, state: u.state as Subject['state'] };
  }
  const s = state.services.get(id);
  return s && { kind, id, name: s.name, state: s.state as Subject['state'] };
}

/** Who reaches what in `state` at `now`: one entry per subject and resource, through the one access rule. */
export interface Grant {
  subjectKind: 'user' | 'service';
  subject: string;
  resource: string;
  via: string[];
  until: number | null;
}

export function effectiveAccess(state: State, now: number): Map<string, Grant> {
  const out = new Map<string, Grant>();
  for (const kind of ['user', 'service'] as const) {
    const bySubjectResource = new Map<string, ReturnType<typeof stateCandidates>>();
    for (const c of stateCandidates(state, kind)) {
      const k = `${c.subjectId}\u0000${c.resourceId}`;
      const list = bySubjectResource.get(k);
      if (list) list.push(c);
      else bySubjectResource.set(k, [c]);
    }
    for (const list of bySubjectResource.values()) {
      const { subjectId, resourceId } = list[0]!;
      const subject = subjectOf(state, kind, subjectId);
      const resource = state.resources.get(resourceId);
      if (!subject || !resource) continue;
      const d = evaluateAccess(
        subject,
        resourceFactsOf(resource),
        list.map((c) => c.path),
        now,
      );
      if (!d.allowed) continue;
      // Keyed by name, not id: a planned object has no id in the store yet.
      out.set(`${kind}\u0000${nameKey(subject.name)}\u0000${nameKey(resource.name)}`, {
        subjectKind: kind,
        subject: subject.name,
        resource: resource.name,
        via: viaOf(d),
        until: accessUntil(d.paths),
      });
    }
  }
  return out;
}

function viaOf(d: Decision): string[] {
  return [...new Set(d.paths.map((p) => (p.via === 'group' ? `group ${p.groupName}` : 'direct')))].sort();
}

export interface AccessChange {
  change: '+' | '-' | '~';
  subjectType: 'user' | 'service';
  subject: string;
  resource: string;
  via: string;
  until: string | null;
  was: string | null;
}

/** Which subject gains or loses which resource, through which path, until when. */
export function accessDiff(before: State, after: State, now: number): AccessChange[] {
  // Only the subjects whose inputs differ: the others have the same access on both sides.
  const only = affectedSubjects(before, after);
  const a = effectiveAccess(narrowedTo(before, only), now);
  const b = effectiveAccess(narrowedTo(after, only), now);
  const out: AccessChange[] = [];
  const text = (g: Grant) => `${g.via.join(', ')} ${formatTimestamp(g.until) ? `until ${formatTimestamp(g.until)}` : 'permanent'}`;
  for (const [k, g] of b) {
    const old = a.get(k);
    if (!old) out.push({ change: '+', subjectType: g.subjectKind, subject: g.subject, resource: g.resource, via: g.via.join(', '), until: formatTimestamp(g.until), was: null });
    else if (old.until !== g.until || old.via.join() !== g.via.join()) {
      out.push({ change: '~', subjectType: g.subjectKind, subject: g.subject, resource: g.resource, via: g.via.join(', '), until: formatTimestamp(g.until), was: text(old) });
    }
  }
  for (const [k, g] of a) {
    if (!b.has(k)) out.push({ change: '-', subjectType: g.subjectKind, subject: g.subject, resource: g.resource, via: g.via.join(', '), until: formatTimestamp(g.until), was: text(g) });
  }
  out.sort((x, y) => cmp(x.subjectType, y.subjectType) || cmp(nameKey(x.subject), nameKey(y.subject)) || cmp(nameKey(x.resource), nameKey(y.resource)));
  return out;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface TestResult {
  ok: boolean;
  subjectType: 'user' | 'service';
  subject: string;
  expect: 'can' | 'cannot';
  target: string;
  at: string | null;
  detail: string;
  /** A name the file uses that neither the file nor the state knows (a typo, most likely). */
  unknown?: { path: string[]; what: string };
}

/** Runs the file's `tests:` against `state`, one result per target. */
export function runTests(state: State, tests: readonly DeclaredTest[], now: number, known: { users: Set<string>; services: Set<string>; resources: Set<string> }): TestResult[] {
  const users = new Map([...state.users.values()].map((u) => [u.email_key, u.id]));
  const services = new Map([...state.services.values()].map((s) => [s.name_key, s.id]));
  const resources = new Map([...state.resources.values()].map((r) => [r.name_key, r]));
  const out: TestResult[] = [];
  for (const t of tests) {
    const at = t.at ?? now;
    const index = t.subjectKind === 'user' ? users : services;
    const subjectId = index.get(nameKey(t.subject));
    const subjectKnown = subjectId !== undefined || (t.subjectKind === 'user' ? known.users : known.services).has(nameKey(t.subject));
    for (const [expect, targets] of [['can', t.can], ['cannot', t.cannot]] as const) {
      targets.forEach((target, i) => {
        const base = { subjectType: t.subjectKind, subject: t.subject, expect, target: target.text, at: formatTimestamp(t.at) };
        const path = [...t.path, expect, String(i)];
        const resource = resources.get(nameKey(target.resource));
        if (!subjectKnown) {
          out.push({ ...base, ok: false, detail: `unknown ${t.subjectKind}: it exists nowhere`, unknown: { path: [...t.path, t.subjectKind], what: `unknown ${t.subjectKind} ${JSON.stringify(t.subject)} in a test` } });
          return;
        }
        if (!resource && !known.resources.has(nameKey(target.resource))) {
          out.push({ ...base, ok: false, detail: `unknown resource ${JSON.stringify(target.resource)}: it exists nowhere`, unknown: { path, what: `unknown resource ${JSON.stringify(target.resource)} in a test` } });
          return;
        }
        const allowed = subjectId !== undefined && resource !== undefined ? decide(state, t.subjectKind, subjectId, resource, target, at) : { allowed: false, detail: `${t.subjectKind} or resource not in the store` };
        const ok = expect === 'can' ? allowed.allowed : !allowed.allowed;
        out.push({ ...base, ok, detail: allowed.detail });
      });
    }
  }
  return out;
}

function decide(state: State, kind: 'user' | 'service', subjectId: string, resource: ResourcesTable, target: TestTarget, at: number): { allowed: boolean; detail: string } {
  const subject = subjectOf(state, kind, subjectId)!;
  const candidates = stateCandidates(state, kind, { subjectId, resourceId: resource.id }).map((c) => c.path);
  const request = target.protocol === undefined ? {} : target.port === undefined ? { protocol: target.protocol } : { protocol: target.protocol, port: target.port };
  const d = evaluateAccess(subject, resourceFactsOf(resource), candidates, at, request);
  if (!d.allowed) return { allowed: false, detail: `denied: ${d.reason}` };
  return { allowed: true, detail: `allowed via ${viaOf(d).join(', ')} ${accessUntil(d.paths) === null ? 'permanent' : `until ${formatTimestamp(accessUntil(d.paths))}`}` };
}
