import type { ResourceFacts } from './access.js';
import type { Change } from './audit-events.js';
import { compareCodePoints } from './order.js';
import { factsOf, sortKey, subjectGrants, type Grant, type Membership, type PathTables, type SubjectKind } from './population-stream.js';
import { grantKey, type AccessChange } from './point-in-time.js';
import type { ReplayedEvent } from './replay.js';
import { linkKey, type State } from './state.js';
import type { ResourcesTable } from './rows.js';

/** One subject's grants as last computed, with the sort key it had then. */
interface Entry {
  kind: SubjectKind;
  sortKey: string;
  grants: Grant[];
}

type Index = Map<string, Set<string>>;
const add = (ix: Index, a: string, b: string) => {
  const set = ix.get(a);
  if (set) set.add(b);
  else ix.set(a, new Set([b]));
};
const remove = (ix: Index, a: string, b: string) => {
  const set = ix.get(a);
  if (set && set.delete(b) && set.size === 0) ix.delete(a);
};

/** A min-heap of (moment, subject): the moments at which a subject's access may change with no event. */
class Moments {
  private times: number[] = [];
  private keys: string[] = [];
  get size(): number {
    return this.times.length;
  }
  top(): number {
    return this.times[0]!;
  }
  push(at: number, key: string): void {
    let i = this.times.length;
    this.times.push(at);
    this.keys.push(key);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.times[p]! <= at) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): string {
    const key = this.keys[0]!;
    const lastT = this.times.pop()!;
    const lastK = this.keys.pop()!;
    if (this.times.length > 0) {
      this.times[0] = lastT;
      this.keys[0] = lastK;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.times.length && this.times[l]! < this.times[m]!) m = l;
        if (r < this.times.length && this.times[r]! < this.times[m]!) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return key;
  }
  private swap(a: number, b: number): void {
    [this.times[a], this.times[b]] = [this.times[b]!, this.times[a]!];
    [this.keys[a], this.keys[b]] = [this.keys[b]!, this.keys[a]!];
  }
}

const subjectKey = (kind: SubjectKind, id: string) => `${kind === 'user' ? 'u' : 's'}:${id}`;
const kindOf = (key: string): SubjectKind => (key[0] === 'u' ? 'user' : 'service');

/**
 * The population of a replayed State kept up to date event by event: after each event only the
 * subjects its row changes touch are recomputed (through the same per-subject rule as
 * `population`), and a grant's expiry or a membership's start recomputes only its subject. The
 * changes it reports are those `accessStep` gives between two whole populations, in their order.
 */
export class IncrementalPopulation {
  private readonly entries = new Map<string, Entry>();
  private readonly moments = new Moments();
  /** subject key → group ids; group id → subject keys. */
  private readonly groupsOf: Index = new Map();
  private readonly membersOf: Index = new Map();
  /** group id → resource ids and back; service id → directly assigned resource ids and back. */
  private readonly resourcesOfGroup: Index = new Map();
  private readonly groupsOfResource: Index = new Map();
  private readonly directOf: Index = new Map();
  private readonly directTo: Index = new Map();
  private readonly facts = new Map<string, ResourceFacts>();
  private readonly tables: PathTables;
  /** The moment every subject's grants are current at. */
  t: number;

  constructor(
    private readonly state: State,
    at: number,
  ) {
    const s = state;
    const resources = this.resourcesOfGroup;
    const direct = this.directOf;
    this.tables = {
      groups: s.groups,
      resources: s.resources,
      resourcesByGroup: { get: (g) => rowsOf(resources.get(g), (r) => s.groupResources.get(linkKey(g, r))) },
      directByService: { get: (id) => rowsOf(direct.get(id), (r) => s.serviceResources.get(linkKey(id, r))) },
    };
    for (const m of s.groupUsers.values()) this.link('group_users', m.group_id, m.user_id);
    for (const m of s.groupServices.values()) this.link('group_services', m.group_id, m.service_id);
    for (const gr of s.groupResources.values()) this.link('group_resources', gr.group_id, gr.resource_id);
    for (const sr of s.serviceResources.values()) this.link('service_resources', sr.service_id, sr.resource_id);
    for (const m of s.groupUsers.values()) if (m.starts_at !== null && m.starts_at !== undefined && m.starts_at > at) this.moments.push(m.starts_at, subjectKey('user', m.user_id));
    this.t = at;
    for (const key of [...this.groupsOf.keys(), ...[...this.directOf.keys()].map((id) => subjectKey('service', id))]) this.recompute(key, at);
  }

  /** The steps up to `limit` at which access changes with no event: each expiry or start moment. */
  advanceTo(limit: number, out: AccessChange[]): void {
    while (this.moments.size > 0 && this.moments.top() <= limit) {
      const x = this.moments.top();
      const due = new Set<string>();
      while (this.moments.size > 0 && this.moments.top() === x) due.add(this.moments.pop());
      if (x <= this.t) continue;
      this.step(due, x, null, out);
      this.t = x;
    }
  }

  /**
   * After an event's changes were applied to the State: follows them in the indexes, then
   * recomputes every subject they touch at `at`.
   */
  applied(changes: readonly Change[], event: ReplayedEvent, at: number, out: AccessChange[]): void {
    const touched = new Set<string>();
    const groups = new Set<string>();
    const resources = new Set<string>();
    for (const c of changes) {
      const row = (c.op === 'update' ? c.key : c.row) as Record<string, unknown>;
      const id = (col: string) => String(row[col]);
      switch (c.table) {
        case 'users':
          touched.add(subjectKey('user', id('id')));
          break;
        case 'services':
          touched.add(subjectKey('service', id('id')));
          break;
        case 'groups':
          groups.add(id('id'));
          break;
        case 'resources':
          this.facts.delete(id('id'));
          resources.add(id('id'));
          break;
        case 'group_users':
        case 'group_services':
        case 'group_resources':
        case 'service_resources': {
          const [a, b] = c.table === 'service_resources' ? [id('service_id'), id('resource_id')] : [id('group_id'), id(c.table === 'group_users' ? 'user_id' : c.table === 'group_services' ? 'service_id' : 'resource_id')];
          if (c.op === 'insert') this.link(c.table, a, b);
          if (c.op === 'delete' && !this.linkHeld(c.table, a, b)) this.unlink(c.table, a, b);
          if (c.table === 'group_users') {
            const m = this.state.groupUsers.get(linkKey(a, b));
            if (m?.starts_at !== null && m?.starts_at !== undefined && m.starts_at > at) this.moments.push(m.starts_at, subjectKey('user', b));
            touched.add(subjectKey('user', b));
          } else if (c.table === 'group_services') touched.add(subjectKey('service', b));
          else if (c.table === 'service_resources') touched.add(subjectKey('service', a));
          else groups.add(a);
          break;
        }
      }
    }
    for (const r of resources) {
      for (const g of this.groupsOfResource.get(r) ?? []) groups.add(g);
      for (const sId of this.directTo.get(r) ?? []) touched.add(subjectKey('service', sId));
    }
    for (const g of groups) for (const key of this.membersOf.get(g) ?? []) touched.add(key);
    this.step(touched, at, event, out);
    this.t = at;
  }

  /** A link the State still holds (a delete then a re-insert in one event) stays indexed. */
  private linkHeld(table: string, a: string, b: string): boolean {
    const s = this.state;
    const key = linkKey(a, b);
    return table === 'group_users' ? s.groupUsers.has(key) : table === 'group_services' ? s.groupServices.has(key) : table === 'group_resources' ? s.groupResources.has(key) : s.serviceResources.has(key);
  }

  private link(table: string, a: string, b: string): void {
    if (table === 'group_users' || table === 'group_services') {
      const key = subjectKey(table === 'group_users' ? 'user' : 'service', b);
      add(this.groupsOf, key, a);
      add(this.membersOf, a, key);
    } else if (table === 'group_resources') {
      add(this.resourcesOfGroup, a, b);
      add(this.groupsOfResource, b, a);
    } else {
      add(this.directOf, a, b);
      add(this.directTo, b, a);
    }
  }

  private unlink(table: string, a: string, b: string): void {
    if (table === 'group_users' || table === 'group_services') {
      const key = subjectKey(table === 'group_users' ? 'user' : 'service', b);
      remove(this.groupsOf, key, a);
      remove(this.membersOf, a, key);
    } else if (table === 'group_resources') {
      remove(this.resourcesOfGroup, a, b);
      remove(this.groupsOfResource, b, a);
    } else {
      remove(this.directOf, a, b);
      remove(this.directTo, b, a);
    }
  }

  /** Recomputes these subjects at `at` and reports what changed: every loss, then every gain, in population order. */
  private step(keys: Set<string>, at: number, event: ReplayedEvent | null, out: AccessChange[]): void {
    const pairs: Array<{ old: Entry | undefined; now: Entry | undefined }> = [];
    for (const key of keys) {
      const old = this.entries.get(key);
      const now = this.recompute(key, at);
      if (!sameGrants(old, now)) pairs.push({ old, now });
    }
    if (pairs.length === 0) return;
    const order = (a: Entry, b: Entry) => (a.kind === b.kind ? compareCodePoints(a.sortKey, b.sortKey) : a.kind === 'user' ? -1 : 1);
    const losing = pairs.filter((p) => p.old !== undefined).sort((a, b) => order(a.old!, b.old!));
    for (const { old, now } of losing) {
      const keep = new Set((now?.grants ?? []).map(grantKey));
      for (const grant of old!.grants) if (!keep.has(grantKey(grant))) out.push({ change: 'lost', grant, event, at });
    }
    const gaining = pairs.filter((p) => p.now !== undefined).sort((a, b) => order(a.now!, b.now!));
    for (const { old, now } of gaining) {
      const had = new Set((old?.grants ?? []).map(grantKey));
      for (const grant of now!.grants) if (!had.has(grantKey(grant))) out.push({ change: 'gained', grant, event, at });
    }
  }

  private recompute(key: string, at: number): Entry | undefined {
    const kind = kindOf(key);
    const id = key.slice(2);
    const row = kind === 'user' ? this.state.users.get(id) : this.state.services.get(id);
    let grants: Grant[] = [];
    if (row) {
      const memberships: Membership[] = [];
      for (const g of this.groupsOf.get(key) ?? []) {
        const m = kind === 'user' ? this.state.groupUsers.get(linkKey(g, id)) : this.state.groupServices.get(linkKey(g, id));
        if (m) memberships.push(m);
      }
      grants = subjectGrants(kind, row, memberships, this.tables, at, undefined, this.factsFor);
    }
    if (grants.length === 0) {
      this.entries.delete(key);
      return undefined;
    }
    const entry: Entry = { kind, sortKey: sortKey(row!), grants };
    this.entries.set(key, entry);
    for (const g of grants) if (g.path.expiresAt !== null && g.path.expiresAt > at) this.moments.push(g.path.expiresAt, key);
    return entry;
  }

  private readonly factsFor = (r: ResourcesTable): ResourceFacts => {
    let f = this.facts.get(r.id);
    if (!f) this.facts.set(r.id, (f = factsOf(r)));
    return f;
  };
}

function sameGrants(a: Entry | undefined, b: Entry | undefined): boolean {
  const x = a?.grants ?? [];
  const y = b?.grants ?? [];
  if (x.length !== y.length) return false;
  const keys = new Set(x.map(grantKey));
  return y.every((g) => keys.has(grantKey(g)));
}

function* rowsOf<T>(ids: Set<string> | undefined, row: (id: string) => T | undefined): Generator<T> {
  for (const id of ids ?? []) {
    const r = row(id);
    if (r !== undefined) yield r;
  }
}

