import { describe, expect, it } from 'vitest';
import { IncrementalPopulation } from '../../src/domain/access-diff.js';
import type { Change, ReplayTable, Row } from '../../src/domain/audit-events.js';
import { accessStep, nextChange, population, type AccessChange, type Grant } from '../../src/domain/point-in-time.js';
import { newReplay, replayEvent, type ReplayedEvent } from '../../src/domain/replay.js';
import { stateCandidates, type State } from '../../src/domain/state.js';
import { evaluateAccess } from '../../src/domain/access.js';
import { compareCodePoints } from '../../src/domain/order.js';
import { nameKey } from '../../src/domain/validate.js';
import { factsOf, streamPopulation, subjectOfService, subjectOfUser, type PopulationFilter } from '../../src/domain/population-stream.js';
import { replayedPopulation } from '../../src/domain/replayed-population.js';
import type { ServicesTable, UsersTable } from '../../src/domain/rows.js';

/**
 * `access diff` keeps one population up to date event by event. Here it is checked against the
 * whole-population walk it replaced (every population rebuilt after every step) on many small
 * random logs: the same changes, in the same order, with the same cause and moment.
 */

interface Ev {
  e: ReplayedEvent;
  changes: Change[];
}

/** A small deterministic generator (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;

/** A random log over a handful of users, services, groups and resources, times rising. */
function randomLog(seed: number, events: number): Ev[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const rows = new Map<string, Map<string, Row>>();
  const table = (t: ReplayTable) => rows.get(t) ?? rows.set(t, new Map()).get(t)!;
  const users = ['usr_1', 'usr_2', 'usr_3', 'usr_4', 'usr_5'];
  const services = ['svc_1', 'svc_2', 'svc_3'];
  const groups = ['grp_1', 'grp_2', 'grp_3'];
  const resources = ['res_1', 'res_2', 'res_3', 'res_4'];
  let at = T0;
  const moment = () => (r() < 0.5 ? null : at + Math.floor(r() * 40) * HOUR - 5 * HOUR);
  const name = (id: string) => `${pick(['a', 'b', 'c', 'd', 'é', '𝔸'])}${Math.floor(r() * 9)}-${id}`;
  const fresh = (t: ReplayTable, id: string): Row => {
    const n = name(id);
    switch (t) {
      case 'users':
        return { id, email: `${n}@x.test`, email_key: `${n}@x.test`.toLowerCase(), state: r() < 0.8 ? 'ACTIVE' : 'DISABLED' };
      case 'services':
        return { id, name: n, name_key: n.toLowerCase(), state: r() < 0.8 ? 'ACTIVE' : 'DISABLED' };
      case 'groups':
        return { id, name: n, name_key: n.toLowerCase(), is_active: r() < 0.8 ? 1 : 0, expires_at: moment() };
      default:
        return { id, name: n, name_key: n.toLowerCase(), address: '10.0.0.1', is_active: r() < 0.8 ? 1 : 0, tcp: 'ALLOW_ALL', udp: 'DENY_ALL', icmp: 0 };
    }
  };
  const links: Array<[ReplayTable, string, string, readonly string[], readonly string[]]> = [
    ['group_users', 'group_id', 'user_id', groups, users],
    ['group_services', 'group_id', 'service_id', groups, services],
    ['group_resources', 'group_id', 'resource_id', groups, resources],
    ['service_resources', 'service_id', 'resource_id', services, resources],
  ];
  const objects: Array<[ReplayTable, readonly string[]]> = [
    ['users', users],
    ['services', services],
    ['groups', groups],
    ['resources', resources],
  ];
  const change = (): Change | null => {
    if (r() < 0.4) {
      const [t, ids] = pick(objects);
      const id = pick(ids);
      const cur = table(t).get(id);
      if (!cur) {
        const row = fresh(t, id);
        table(t).set(id, row);
        return { op: 'insert', table: t, row };
      }
      if (r() < 0.2) {
        table(t).delete(id);
        return { op: 'delete', table: t, row: cur };
      }
      const next = fresh(t, id);
      const col = pick(Object.keys(next).filter((c) => c !== 'id' && !c.endsWith('_key')));
      const from: Row = { [col]: cur[col] ?? null };
      const to: Row = { [col]: next[col] ?? null };
      if (col === 'email' || col === 'name') {
        from[`${col}_key`] = cur[`${col}_key`] ?? null;
        to[`${col}_key`] = next[`${col}_key`] ?? null;
      }
      table(t).set(id, { ...cur, ...to });
      return { op: 'update', table: t, key: { id }, from, to };
    }
    const [t, a, b, as, bs] = pick(links);
    const x = pick(as);
    const y = pick(bs);
    const key = `${x} ${y}`;
    const cur = table(t).get(key);
    if (!cur) {
      const row: Row = { [a]: x, [b]: y, expires_at: moment(), created_at: at };
      if (t === 'group_users') row.starts_at = r() < 0.6 ? null : at + Math.floor(r() * 20) * HOUR;
      table(t).set(key, row);
      return { op: 'insert', table: t, row };
    }
    if (r() < 0.4) {
      table(t).delete(key);
      return { op: 'delete', table: t, row: cur };
    }
    const col = t === 'group_users' && r() < 0.5 ? 'starts_at' : 'expires_at';
    const value = col === 'starts_at' ? (r() < 0.3 ? null : at + Math.floor(r() * 20) * HOUR) : moment();
    table(t).set(key, { ...cur, [col]: value });
    return { op: 'update', table: t, key: { [a]: x, [b]: y }, from: { [col]: cur[col] ?? null }, to: { [col]: value } };
  };
  const out: Ev[] = [];
  for (let seq = 1; seq <= events; seq++) {
    at += r() < 0.2 ? 0 : Math.floor(r() * 3 * HOUR);
    const changes: Change[] = [];
    for (let n = 1 + Math.floor(r() * 3); n > 0; n--) {
      const c = change();
      if (c) changes.push(c);
    }
    out.push({ e: { seq, at, actor: 'cli', action: 'test.change' }, changes });
  }
  return out;
}

const apply = (replay: ReturnType<typeof newReplay>, ev: Ev) => replayEvent(replay, ev.e, { v: 2, changes: JSON.parse(JSON.stringify(ev.changes)) });

/** The walk `access diff` made before: the whole population rebuilt at every step. */
function fullWalk(log: Ev[], from: number, to: number): AccessChange[] {
  const replay = newReplay();
  const changes: AccessChange[] = [];
  let current: Grant[] | null = null;
  let t = from;
  const expireUpTo = (limit: number, state: State) => {
    for (let x = nextChange(current!, state, t, limit); x !== null; x = nextChange(current!, state, t, limit)) {
      const next = population(state, x);
      changes.push(...accessStep(current!, next, null, x));
      current = next;
      t = x;
    }
  };
  for (const ev of log) {
    if (ev.e.at <= from) {
      apply(replay, ev);
      continue;
    }
    current ??= population(replay.state, from);
    if (ev.e.at > to) break;
    expireUpTo(ev.e.at, replay.state);
    apply(replay, ev);
    const at = Math.max(t, ev.e.at);
    const next = population(replay.state, at);
    changes.push(...accessStep(current, next, ev.e, at));
    current = next;
    t = at;
  }
  current ??= population(replay.state, from);
  expireUpTo(to, replay.state);
  return changes;
}

function incrementalWalk(log: Ev[], from: number, to: number): AccessChange[] {
  const replay = newReplay();
  const changes: AccessChange[] = [];
  let current: IncrementalPopulation | null = null;
  for (const ev of log) {
    if (ev.e.at <= from) {
      apply(replay, ev);
      continue;
    }
    current ??= new IncrementalPopulation(replay.state, from);
    if (ev.e.at > to) break;
    current.advanceTo(ev.e.at, changes);
    apply(replay, ev);
    current.applied(ev.changes, ev.e, Math.max(current.t, ev.e.at), changes);
  }
  current ??= new IncrementalPopulation(replay.state, from);
  current.advanceTo(to, changes);
  return changes;
}

const printed = (cs: AccessChange[]) =>
  cs.map((c) => [c.change, c.grant.subject.kind, c.grant.subject.id, c.grant.subject.name, c.grant.resource.id, c.grant.resource.name, c.grant.path.via, c.grant.path.groupId, c.grant.path.groupName, c.at, c.event?.seq ?? null].join('|'));

/** The population as it was built before it was streamed: every candidate of the store at once. */
function wholePopulation(state: State, at: number): Grant[] {
  const out: Grant[] = [];
  const groupKey = (name: string | null): string => (name === null ? '' : nameKey(name));
  for (const kind of ['user', 'service'] as const) {
    const bySubject = new Map<string, Map<string, ReturnType<typeof stateCandidates>>>();
    for (const c of stateCandidates(state, kind)) {
      let byResource = bySubject.get(c.subjectId);
      if (!byResource) bySubject.set(c.subjectId, (byResource = new Map()));
      const list = byResource.get(c.resourceId);
      if (list) list.push(c);
      else byResource.set(c.resourceId, [c]);
    }
    const key = (s: UsersTable | ServicesTable) => ('email_key' in s ? s.email_key : s.name_key);
    const subjects = [...bySubject.keys()]
      .map((id) => (kind === 'user' ? state.users.get(id) : state.services.get(id)))
      .filter((s): s is UsersTable | ServicesTable => s !== undefined)
      .sort((a, b) => compareCodePoints(key(a), key(b)));
    for (const s of subjects) {
      const subject = kind === 'user' ? subjectOfUser(s as UsersTable) : subjectOfService(s as ServicesTable);
      const byResource = bySubject.get(s.id)!;
      const resources = [...byResource.keys()]
        .map((id) => state.resources.get(id)!)
        .filter((r) => r !== undefined)
        .sort((a, b) => compareCodePoints(a.name_key, b.name_key));
      for (const r of resources) {
        const resource = factsOf(r);
        const decision = evaluateAccess(subject, resource, byResource.get(r.id)!.map((c) => c.path), at);
        const paths = [...decision.paths].sort((a, b) => compareCodePoints(groupKey(a.groupName), groupKey(b.groupName)) || (a.via < b.via ? -1 : a.via > b.via ? 1 : 0));
        for (const path of paths) out.push({ subject, resource, path });
      }
    }
  }
  return out;
}

describe('the population, subject by subject', () => {
  it('lists what gathering every candidate at once listed, in the same order', () => {
    const show = (gs: Grant[]) => gs.map((g) => [g.subject.kind, g.subject.id, g.subject.name, g.resource.id, g.resource.name, g.path.via, g.path.groupId, g.path.expiresAt].join('|'));
    let seen = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const log = randomLog(seed, 80);
      const replay = newReplay();
      for (const [i, ev] of log.entries()) {
        apply(replay, ev);
        if (i % 10 !== 9) continue;
        const want = show(wholePopulation(replay.state, ev.e.at));
        expect(show(population(replay.state, ev.e.at)), `seed ${seed} seq ${ev.e.seq}`).toEqual(want);
        seen += want.length;
      }
    }
    expect(seen).toBeGreaterThan(1000);
  });
});

describe('the population of a replay held packed (access list --as-of)', () => {
  it('lists what the same replay held as objects lists, with every filter', () => {
    let seen = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const log = randomLog(seed, 80);
      const plain = newReplay();
      const packed = newReplay({ packed: true });
      for (const ev of log) {
        apply(plain, ev);
        apply(packed, ev);
      }
      const at = log[log.length - 1]!.e.at;
      const { state, members } = replayedPopulation(packed);
      const filters: PopulationFilter[] = [{}, { subjectKind: 'user', subjectId: 'usr_2' }, { subjectKind: 'service', subjectId: 'svc_1' }, { resourceId: 'res_3' }, { groupId: 'grp_1' }];
      for (const filter of filters) {
        // Whole grants: the subject, every fact of the resource and every column of the path.
        const want = [...streamPopulation(plain.state, at, filter)];
        expect([...streamPopulation(state, at, filter, members)], `seed ${seed} ${JSON.stringify(filter)}`).toEqual(want);
        seen += want.length;
      }
    }
    expect(seen).toBeGreaterThan(1000);
  });
});

describe('access diff, step by step', () => {
  it('reports what rebuilding the whole population at every step reports, on random logs', () => {
    let seen = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const log = randomLog(seed, 60);
      const first = log[0]!.e.at;
      const last = log[log.length - 1]!.e.at;
      const r = rng(seed * 7919);
      const from = first + Math.floor(r() * (last - first) * 0.5);
      const to = from + Math.floor(r() * (last - from + 30 * HOUR));
      const want = printed(fullWalk(log, from, to));
      expect(printed(incrementalWalk(log, from, to)), `seed ${seed}`).toEqual(want);
      seen += want.length;
    }
    // The logs did change access, also through expiries and starts.
    expect(seen).toBeGreaterThan(1000);
  });

  it('reports the same over a window before the first event and past the last', () => {
    for (let seed = 301; seed <= 340; seed++) {
      const log = randomLog(seed, 40);
      const from = T0 - HOUR;
      const to = log[log.length - 1]!.e.at + 100 * HOUR;
      expect(printed(incrementalWalk(log, from, to)), `seed ${seed}`).toEqual(printed(fullWalk(log, from, to)));
    }
  });
});
