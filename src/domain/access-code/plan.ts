import type { IdKind } from '../ids.js';
import { UserError } from '../errors.js';
import { SETTINGS, validateSettings } from '../settings.js';
import { linkKey, type State } from '../state.js';
import { formatTimestamp } from '../time.js';
import { nameKey } from '../validate.js';
import type { GroupsTable, LinkTable, ResourcesTable, ServicesTable, UsersTable } from '../rows.js';
import { liveView, shallowCopy } from './live-view.js';
import { copyOnWrite, flatWant, nestedWant, timesOf, type LinkMaps, type Times, type Want } from './plan-want.js';
import { planRequestPolicies } from './plan-request.js';
import { FileProblem, type AccessFile, type DeclaredLink } from './model.js';

export type ObjectType = 'setting' | 'user' | 'resource' | 'service' | 'group';

/** One field of one object; for a link list, `item` names the member and `op` says what happens to it. */
export interface FieldChange {
  field: string;
  item?: string;
  op?: '+' | '-' | '~';
  from: unknown;
  to: unknown;
  /** A user's membership with a start (before, after): present only when either has one. */
  startsFrom?: string | null;
  startsTo?: string | null;
}

export interface ObjectChange {
  op: '+' | '~' | '-';
  type: ObjectType;
  name: string;
  fields: FieldChange[];
}

export interface Plan {
  /** The store as loaded, expired rows included: apply needs to know what physically exists. */
  raw: State;
  /** What grants now (liveView of raw). */
  current: State;
  /** What will grant after apply. */
  planned: State;
  changes: ObjectChange[];
  /** Expired groups whose name a declared group takes: removed first, as `group create` does. */
  sweep: GroupsTable[];
}

export interface PlanOptions {
  prune: boolean;
  now: number;
  newId(kind: IdKind): string;
}

const TYPE_ORDER: ObjectType[] = ['setting', 'user', 'resource', 'service', 'group'];
const iso = (ms: number | null) => formatTimestamp(ms);
const isLive = (expiresAt: number | null, now: number) => expiresAt === null || now < expiresAt;

/**
 * What applying `file` to `raw` would do. Pure: it reads the state and returns the planned one,
 * so `plan` prints it, `apply` writes it, and both agree by construction.
 */
export function computePlan(raw: State, file: AccessFile, opts: PlanOptions): Plan {
  const { now } = opts;
  const current = liveView(raw, now);
  // Rows are shared with current: a change puts a new row in planned, never edits one in place.
  const planned = shallowCopy(current, false);
  const writable = copyOnWrite(planned);
  const changes = new Map<string, ObjectChange>();
  const change = (type: ObjectType, name: string, op: ObjectChange['op']): ObjectChange => {
    const key = `${type}\u0000${nameKey(name)}`;
    let c = changes.get(key);
    if (!c) {
      c = { op, type, name, fields: [] };
      changes.set(key, c);
    }
    return c;
  };
  const sweep: GroupsTable[] = [];

  const byKey = <T>(rows: Map<string, T>, key: (r: T) => string) => new Map([...rows.values()].map((r) => [key(r), r]));
  const users = byKey(planned.users, (u) => u.email_key);
  const resources = byKey(planned.resources, (r) => r.name_key);
  const services = byKey(planned.services, (s) => s.name_key);
  const groups = byKey(planned.groups, (g) => g.name_key);

  // Objects: create or bring every declared field to what the file says.
  for (const d of file.users) {
    const key = nameKey(d.email);
    const want = { email: d.email, first_name: d.firstName, last_name: d.lastName, role: d.role, state: d.state };
    const row = users.get(key);
    if (row) updateRow(planned.users, row, want, change, 'user', d.email, now);
    else {
      const created: UsersTable = { id: opts.newId('user'), email_key: key, type: 'MANUAL', login: null, created_at: now, updated_at: now, ...want };
      planned.users.set(created.id, created);
      users.set(key, created);
      createdFields(change('user', d.email, '+'), want);
    }
  }
  for (const d of file.resources) {
    const key = nameKey(d.name);
    const want = { name: d.name, address: d.address, alias: d.alias, tcp: d.tcp, udp: d.udp, icmp: d.icmp ? 1 : 0, is_active: d.isActive ? 1 : 0 };
    const row = resources.get(key);
    if (row) updateRow(planned.resources, row, want, change, 'resource', d.name, now);
    else {
      const created: ResourcesTable = { id: opts.newId('resource'), name_key: key, created_at: now, updated_at: now, ...want };
      planned.resources.set(created.id, created);
      resources.set(key, created);
      createdFields(change('resource', d.name, '+'), want);
    }
  }
  for (const d of file.services) {
    const key = nameKey(d.name);
    const want = { name: d.name, description: d.description, state: d.state };
    const row = services.get(key);
    if (row) updateRow(planned.services, row, want, change, 'service', d.name, now);
    else {
      const created: ServicesTable = { id: opts.newId('service'), name_key: key, created_at: now, updated_at: now, ...want };
      planned.services.set(created.id, created);
      services.set(key, created);
      createdFields(change('service', d.name, '+'), want);
    }
  }
  const deadGroups = new Set<string>();
  for (const d of file.groups) {
    const key = nameKey(d.name);
    const want = { name: d.name, is_active: d.isActive ? 1 : 0, expires_at: d.expiresAt };
    const row = groups.get(key);
    if (!isLive(d.expiresAt, now)) deadGroups.add(key);
    if (row) updateRow(planned.groups, row, want, change, 'group', d.name, now);
    else if (isLive(d.expiresAt, now)) {
      const expired = [...raw.groups.values()].find((g) => g.name_key === key);
      if (expired) sweep.push(expired);
      const created: GroupsTable = { id: opts.newId('group'), name_key: key, type: 'MANUAL', request_policy: null, created_at: now, updated_at: now, ...want };
      planned.groups.set(created.id, created);
      groups.set(key, created);
      createdFields(change('group', d.name, '+'), want);
    }
  }

  // --prune: what the file does not declare goes, with its links.
  const declared = {
    users: new Set(file.users.map((u) => nameKey(u.email))),
    resources: new Set(file.resources.map((r) => nameKey(r.name))),
    services: new Set(file.services.map((s) => nameKey(s.name))),
    groups: new Set(file.groups.map((g) => nameKey(g.name))),
  };
  if (opts.prune) {
    prune(planned.users, (u) => u.email_key, (u) => u.email, declared.users, 'user', users);
    prune(planned.resources, (r) => r.name_key, (r) => r.name, declared.resources, 'resource', resources);
    prune(planned.services, (s) => s.name_key, (s) => s.name, declared.services, 'service', services);
    prune(planned.groups, (g) => g.name_key, (g) => g.name, declared.groups, 'group', groups);
    for (const table of ['groupUsers', 'groupResources', 'groupServices', 'serviceResources'] as const) {
      for (const [k, l] of loose(planned[table])) {
        const ids = Object.entries(l).filter(([c]) => c.endsWith('_id')).map(([, v]) => v as string);
        if (ids.some((id) => !planned.users.has(id) && !planned.resources.has(id) && !planned.services.has(id) && !planned.groups.has(id))) writable(table).delete(k);
      }
    }
  }
  function prune<T extends { id: string }>(rows: Map<string, T>, key: (r: T) => string, name: (r: T) => string, keep: Set<string>, type: ObjectType, index: Map<string, T>) {
    for (const [id, r] of [...rows]) {
      if (keep.has(key(r))) continue;
      rows.delete(id);
      index.delete(key(r));
      change(type, name(r), '-');
    }
  }

  planRequestPolicies(file, current, planned, groups, deadGroups, (g, op) => change('group', g.name, op).fields, now);

  // Links of declared objects: exactly what the file lists.
  const resolve = <T extends { id: string }>(index: Map<string, T>, link: DeclaredLink, kind: string, declaredKeys: Set<string>): string => {
    const hit = index.get(nameKey(link.ref));
    if (hit) return hit.id;
    const where = kind === 'user' ? 'users' : `${kind}s`;
    if (opts.prune && !declaredKeys.has(nameKey(link.ref)) && [...(current as unknown as Record<string, Map<string, { name_key?: string; email_key?: string }>>)[where]!.values()].some((r) => (r.name_key ?? r.email_key) === nameKey(link.ref))) {
      throw new FileProblem(link.path, `${kind} ${JSON.stringify(link.ref)} is not declared, so --prune would delete it`, `declare it under ${where}:`);
    }
    throw new FileProblem(link.path, `unknown ${kind} ${JSON.stringify(link.ref)}`, `declare it under ${where}: or create it first`);
  };
  const liveGroupOf = (name: string) => (deadGroups.has(nameKey(name)) ? undefined : groups.get(nameKey(name)));

  const wantUsers = new Map<string, Map<string, Times>>();
  const wantResources = new Map<string, number | null>();
  const wantServices = new Map<string, { expiresAt: number | null; path: string[] }>();
  const wantServiceResources = new Map<string, number | null>();
  const ownedGroups = new Set<string>();
  const ownedServices = new Set<string>();
  for (const d of file.groups) {
    const g = liveGroupOf(d.name);
    if (!g) continue;
    ownedGroups.add(g.id);
    const members = wantUsers.get(g.id) ?? new Map<string, Times>();
    wantUsers.set(g.id, members);
    for (const l of d.members) members.set(resolve(users, l, 'user', declared.users), timesOf(l.startsAt, l.expiresAt));
    for (const l of d.resources) wantResources.set(linkKey(g.id, resolve(resources, l, 'resource', declared.resources)), l.expiresAt);
    for (const l of d.services) wantServices.set(linkKey(g.id, resolve(services, l, 'service', declared.services)), { expiresAt: l.expiresAt, path: l.path });
  }
  for (const d of file.services) {
    const s = services.get(nameKey(d.name))!;
    ownedServices.add(s.id);
    for (const l of d.resources) wantServiceResources.set(linkKey(s.id, resolve(resources, l, 'resource', declared.resources)), l.expiresAt);
    for (const l of d.groups) {
      if (deadGroups.has(nameKey(l.ref))) continue;
      const key = linkKey(resolve(groups, l, 'group', declared.groups), s.id);
      const other = wantServices.get(key);
      if (other && other.expiresAt !== l.expiresAt) {
        throw new FileProblem(l.path, `the link between service ${d.name} and group ${l.ref} is declared twice with different expiry`, `the other is at ${other.path.join('.')}`);
      }
      wantServices.set(key, { expiresAt: l.expiresAt, path: l.path });
    }
  }

  const nameOf = (id: string): [ObjectType, string] => {
    const u = planned.users.get(id) ?? current.users.get(id);
    if (u) return ['user', u.email];
    const r = planned.resources.get(id) ?? current.resources.get(id);
    if (r) return ['resource', r.name];
    const s = planned.services.get(id) ?? current.services.get(id);
    if (s) return ['service', s.name];
    const g = (planned.groups.get(id) ?? current.groups.get(id))!;
    return ['group', g.name];
  };
  const ownerChange = (id: string) => {
    const [type, name] = nameOf(id);
    return changes.get(`${type}\u0000${nameKey(name)}`) ?? change(type, name, '~');
  };

  syncLinks('groupUsers', 'group_id', 'user_id', nestedWant(wantUsers), (l) => ownedGroups.has(l.group_id!), 'members');
  syncLinks('groupResources', 'group_id', 'resource_id', flatWant(expiryOnly(wantResources)), (l) => ownedGroups.has(l.group_id!), 'resources');
  syncLinks(
    'groupServices',
    'group_id',
    'service_id',
    flatWant(new Map([...wantServices].map(([k, v]) => [k, timesOf(null, v.expiresAt)]))),
    (l) => ownedGroups.has(l.group_id!) || ownedServices.has(l.service_id!),
    'services',
  );
  syncLinks('serviceResources', 'service_id', 'resource_id', flatWant(expiryOnly(wantServiceResources)), (l) => ownedServices.has(l.service_id!), 'resources');

  function syncLinks(table: LinkMaps, ownerCol: string, memberCol: string, want: Want, owned: (l: LooseLink) => boolean, field: string) {
    // Only a user's membership has a start; the other link tables have no such column.
    const starts = memberCol === 'user_id';
    const links = () => loose(planned[table]);
    const write = () => loose(writable(table));
    // Read from the map as it was, written to its copy (made at the first change).
    for (const [k, l] of links()) {
      if (!owned(l) || want.has(l[ownerCol] as string, l[memberCol] as string)) continue;
      write().delete(k);
      // A group-service link belongs on the group's line when the group is declared.
      const owner = ownerCol === 'group_id' && !ownedGroups.has(l.group_id as string) ? (l[memberCol] as string) : (l[ownerCol] as string);
      const member = owner === l[ownerCol] ? (l[memberCol] as string) : (l[ownerCol] as string);
      ownerChange(owner).fields.push({ field: owner === l[ownerCol] ? field : 'groups', item: nameOf(member)[1], op: '-', from: iso(l.expires_at), to: null, ...startsOf(starts, l, null) });
    }
    want.forEach((ownerId, memberId, { startsAt, expiresAt }) => {
      const k = linkKey(ownerId, memberId);
      const had = links().get(k);
      if (had && had.expires_at === expiresAt && (!starts || (had.starts_at ?? null) === startsAt)) return;
      if (!had && !isLive(expiresAt, now)) return;
      write().set(k, { [ownerCol]: ownerId, [memberCol]: memberId, ...(starts ? { starts_at: startsAt } : {}), expires_at: expiresAt, created_at: had?.created_at ?? now });
      const onService = ownerCol === 'group_id' && !ownedGroups.has(ownerId);
      ownerChange(onService ? memberId : ownerId).fields.push({
        field: onService ? 'groups' : field,
        item: nameOf(onService ? ownerId : memberId)[1],
        op: had ? '~' : '+',
        from: had ? iso(had.expires_at) : null,
        to: iso(expiresAt),
        ...startsOf(starts, had ?? null, startsAt),
      });
    });
  }

  // Settings: only those the file names; the rest keep their values.
  for (const s of file.settings) {
    const before = planned.settings.get(s.key) ?? (SETTINGS as Record<string, { default: string }>)[s.key]!.default;
    if (before === s.value) continue;
    planned.settings.set(s.key, s.value);
    change('setting', s.key, '~').fields.push({ field: 'value', from: before, to: s.value });
  }
  if (file.settings.length > 0) {
    // The same check as `config set`, on the settings as they would be after apply.
    try {
      validateSettings(new Map([...planned.settings].map(([k, v]) => [k, { value: v }])));
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      const at = file.settings.find((s) => s.key.startsWith('token.')) ?? file.settings[0]!;
      throw new FileProblem(at.path, err.message, err.hint);
    }
  }

  const ordered = [...changes.values()].filter((c) => c.op !== '~' || c.fields.length > 0);
  ordered.sort((a, b) => TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type) || cmp(nameKey(a.name), nameKey(b.name)));
  for (const c of ordered) c.fields.sort((a, b) => cmp(a.field, b.field) || cmp(nameKey(a.item ?? ''), nameKey(b.item ?? '')));
  return { raw, current, planned, changes: ordered, sweep };
}

const expiryOnly = (m: Map<string, number | null>) => new Map([...m].map(([k, expiresAt]): [string, Times] => [k, timesOf(null, expiresAt)]));

/** A membership's start, before and after, on its field change: only when either side has one. */
function startsOf(starts: boolean, had: LooseLink | null, to: number | null): Pick<FieldChange, 'startsFrom' | 'startsTo'> {
  const from = had?.starts_at ?? null;
  if (!starts || (from === null && to === null)) return {};
  return { startsFrom: iso(from as number | null), startsTo: iso(to) };
}

/** The four link tables differ only in their column names; one loose shape serves them all. */
type LooseLink = LinkTable & { [column: string]: string | number | null | undefined } & Partial<Record<'group_id' | 'user_id' | 'resource_id' | 'service_id', string>>;
const loose = (m: Map<string, unknown>) => m as Map<string, LooseLink>;

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const FIELD_NAME: Record<string, string> = { first_name: 'firstName', last_name: 'lastName', is_active: 'isActive', expires_at: 'expiresAt' };
const BOOL_COLUMNS = new Set(['icmp', 'is_active']);

function shown(col: string, v: unknown): unknown {
  if (BOOL_COLUMNS.has(col)) return v === 1;
  if (col === 'expires_at') return iso(v as number | null);
  return v;
}

function updateRow<T extends { id: string; updated_at: number }>(
  rows: Map<string, T>,
  row: T,
  want: Partial<T>,
  change: (type: ObjectType, name: string, op: ObjectChange['op']) => ObjectChange,
  type: ObjectType,
  name: string,
  now: number,
): void {
  const fields: FieldChange[] = [];
  for (const [col, v] of Object.entries(want)) {
    const before = (row as Record<string, unknown>)[col];
    if (before !== v) fields.push({ field: FIELD_NAME[col] ?? col, from: shown(col, before), to: shown(col, v) });
  }
  if (fields.length === 0) return;
  const next = { ...row, ...want, updated_at: now };
  if ('name' in want) (next as Record<string, unknown>).name_key = nameKey(String(want.name));
  rows.set(row.id, next);
  change(type, name, '~').fields.push(...fields);
}

function createdFields(c: ObjectChange, want: Record<string, unknown>): void {
  for (const [col, v] of Object.entries(want)) c.fields.push({ field: FIELD_NAME[col] ?? col, from: null, to: shown(col, v) });
}
