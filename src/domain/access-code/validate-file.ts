import { UserError } from '../errors.js';
import { parsePortRule } from '../ports.js';
import { parseSettingName, SETTINGS } from '../settings.js';
import { validatePersonName } from '../person-name.js';
import { buildPolicy, type PolicyInput } from '../request-policy.js';
import { parseTimestamp } from '../time.js';
import { nameKey, parseEnum, ROLES, validateAddress, validateEmail, validateName, validateOptionalText, validateServiceName } from '../validate.js';
import {
  FileProblem,
  type AccessFile,
  type DeclaredGroup,
  type DeclaredLink,
  type DeclaredRequestPolicy,
  type DeclaredResource,
  type DeclaredService,
  type DeclaredTest,
  type DeclaredUser,
  type TestTarget,
} from './model.js';

type Obj = Record<string, unknown>;

const TOKEN_SHAPE = /(ack|act)_[0-9A-Za-z]{8,}/;
const ID_SHAPE = /^(usr|res|grp|svc|key|tok|evt|req|rev)_[0-9A-Za-z]{16}$/;
const RELATIVE_TIME = /^[+-]?\s*[0-9]+\s*[smhdw]([0-9]+[smhdw])*$|^now/i;

const TOP_KEYS = ['version', 'settings', 'users', 'resources', 'groups', 'services', 'tests'];

/** Turns the parsed file (plain YAML/JSON values) into declarations, or throws the first FileProblem. */
export function validateAccessFile(doc: unknown): AccessFile {
  scanSecrets(doc, []);
  if (doc === null || doc === undefined) return { users: [], resources: [], groups: [], services: [], settings: [], tests: [] };
  const top = object(doc, [], TOP_KEYS);
  if (top.version !== undefined && top.version !== 1) throw new FileProblem(['version'], `unsupported version ${JSON.stringify(top.version)}`, 'this accessctl reads version 1');
  const file: AccessFile = {
    users: list(top, 'users', [], userOf),
    resources: list(top, 'resources', [], resourceOf),
    groups: list(top, 'groups', [], groupOf),
    services: list(top, 'services', [], serviceOf),
    settings: settingsOf(top.settings),
    tests: list(top, 'tests', [], testOf),
  };
  unique(file.users, (u) => u.email, 'user email');
  unique(file.resources, (r) => r.name, 'resource name');
  unique(file.groups, (g) => g.name, 'group name');
  unique(file.services, (s) => s.name, 'service name');
  for (const g of file.groups) {
    unique(g.members, (l) => l.ref, 'member');
    unique(g.resources, (l) => l.ref, 'resource');
    unique(g.services, (l) => l.ref, 'service');
  }
  for (const s of file.services) {
    unique(s.resources, (l) => l.ref, 'resource');
    unique(s.groups, (l) => l.ref, 'group');
  }
  return file;
}

/** A secret never belongs in a file that lives in git: refuse it wherever it is, without echoing it. */
function scanSecrets(value: unknown, path: string[]): void {
  // One path, pushed and popped: a copy is made only for the problem.
  if (typeof value === 'string') {
    if (TOKEN_SHAPE.test(value)) {
      throw new FileProblem([...path], 'a value shaped like a secret token', 'an access file never carries a secret; keys and tokens stay imperative (accessctl key create)');
    }
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(String(i));
      scanSecrets(value[i], path);
      path.pop();
    }
  } else if (value !== null && typeof value === 'object') {
    for (const k of Object.keys(value)) {
      if (TOKEN_SHAPE.test(k)) throw new FileProblem([...path, k.slice(0, 4) + '…'], 'a key shaped like a secret token', 'an access file never carries a secret');
      path.push(k);
      scanSecrets((value as Record<string, unknown>)[k], path);
      path.pop();
    }
  }
}

function object(value: unknown, path: string[], allowed: readonly string[]): Obj {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new FileProblem(path, `expected a mapping, got ${describe(value)}`, `keys: ${allowed.join(', ')}`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      const hint =
        key === 'ttl'
          ? 'a TTL in a file would restart at every apply; write an absolute expiresAt: 2026-12-01T00:00:00Z'
          : key === 'id'
            ? 'objects are declared by name (users by email), never by id'
            : `allowed keys: ${allowed.join(', ')}`;
      throw new FileProblem([...path, key], `unknown key ${JSON.stringify(key)}`, hint, true);
    }
  }
  return value as Obj;
}

function list<T>(o: Obj, key: string, path: string[], item: (v: unknown, p: string[]) => T): T[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new FileProblem([...path, key], `expected a list, got ${describe(v)}`);
  return v.map((x, i) => item(x, [...path, key, String(i)]));
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a mapping' : `${typeof v} ${JSON.stringify(v).slice(0, 40)}`;
}

/** Runs one of the shared validators (domain/validate.ts), re-pointing its error at the file. */
function check<T>(path: string[], run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof UserError) throw new FileProblem(path, err.message, err.hint);
    throw err;
  }
}

function str(o: Obj, key: string, path: string[], required: boolean): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (required) throw new FileProblem(path, `missing ${key}`);
    return undefined;
  }
  if (typeof v !== 'string') throw new FileProblem([...path, key], `expected text, got ${describe(v)}`, NOT_TEXT_HINT);
  return v;
}

/** YAML reads a bare 007 as the number 7 and 0x1F as 31: a name is text, written as text. */
const NOT_TEXT_HINT = 'quote it ("007"): a bare 007 or 0x1F is read as a number';

/** A port rule: text (`22,443`, `ALLOW_ALL`), or one port as a decimal number (the loader checked the digits). */
function portRule(o: Obj, key: 'tcp' | 'udp', path: string[]): string {
  const v = o[key];
  if (v === undefined || v === null) return 'ALLOW_ALL';
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v !== 'string') throw new FileProblem([...path, key], `expected a port rule, got ${describe(v)}`, 'for example 443, "22,443", "8000-8100" or ALLOW_ALL');
  return v;
}

function bool(o: Obj, key: string, path: string[], fallback: boolean): boolean {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new FileProblem([...path, key], `expected true or false, got ${describe(v)}`);
  return v;
}

/** A name where a name belongs: never an id, which would differ from store to store. */
function nameRef(value: string, path: string[], kind: string): string {
  if (ID_SHAPE.test(value.trim())) {
    throw new FileProblem(path, `an id where a ${kind} name belongs`, kind === 'user' ? 'write the user\'s email; ids differ between stores' : `write the ${kind}'s name; ids differ between stores`);
  }
  return value;
}

/** Absolute times only: a relative one ("2h") would mean something new at every apply. */
export function absoluteTime(value: unknown, path: string[], field = 'expiresAt'): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new FileProblem(path, `expected an ISO-8601 time, got ${describe(value)}`, 'for example 2026-12-01T00:00:00Z');
  if (RELATIVE_TIME.test(value.trim())) {
    throw new FileProblem(path, `relative time ${JSON.stringify(value)}`, 'a file holds absolute times (2026-12-01T00:00:00Z): a TTL would restart at every apply');
  }
  return check(path, () => parseTimestamp(value, field));
}

function userOf(v: unknown, path: string[]): DeclaredUser {
  const o = object(v, path, ['email', 'firstName', 'lastName', 'role', 'state']);
  const raw = str(o, 'email', path, true)!;
  const email = check([...path, 'email'], () => validateEmail(nameRef(raw, [...path, 'email'], 'user')));
  return {
    email,
    firstName: check([...path, 'firstName'], () => validatePersonName('firstName', str(o, 'firstName', path, false)) ?? ''),
    lastName: check([...path, 'lastName'], () => validatePersonName('lastName', str(o, 'lastName', path, false)) ?? ''),
    role: check([...path, 'role'], () => parseEnum('role', ROLES, str(o, 'role', path, false) ?? 'MEMBER')),
    state: check([...path, 'state'], () => parseEnum('state', ['ACTIVE', 'DISABLED'] as const, str(o, 'state', path, false) ?? 'ACTIVE')),
    path,
  };
}

function resourceOf(v: unknown, path: string[]): DeclaredResource {
  const o = object(v, path, ['name', 'address', 'alias', 'tcp', 'udp', 'icmp', 'isActive']);
  const name = check([...path, 'name'], () => validateName('resource', nameRef(str(o, 'name', path, true)!, [...path, 'name'], 'resource')));
  const alias = str(o, 'alias', path, false);
  return {
    name,
    address: check([...path, 'address'], () => validateAddress(str(o, 'address', path, true)!)),
    alias: alias === undefined || alias === '' ? null : check([...path, 'alias'], () => validateAddress(alias)),
    tcp: check([...path, 'tcp'], () => parsePortRule(portRule(o, 'tcp', path), 'tcp')),
    udp: check([...path, 'udp'], () => parsePortRule(portRule(o, 'udp', path), 'udp')),
    icmp: bool(o, 'icmp', path, true),
    isActive: bool(o, 'isActive', path, true),
    path,
  };
}

/**
 * A link: a bare name, or `{email|name: X, expiresAt: T}`; a user's membership may also carry
 * `startsAt: T` (a grant approved for later).
 */
function linkList(o: Obj, key: string, path: string[], refKey: 'email' | 'name', kind: string): DeclaredLink[] {
  const starts = kind === 'user';
  const v0 = o[key];
  const at = [...path, key];
  // A bare, valid name (the common case, a million times in a big file) costs one small object:
  // its path is spelled out only if something asks for it.
  if (Array.isArray(v0) && v0.every((v) => typeof v === 'string' && isPlainRef(v))) return v0.map((v: string, i) => new Link(v.trim(), null, null, at, i));
  return list(o, key, path, (v, p) => {
    if (typeof v === 'string') return { ref: linkRef(v, p, kind), startsAt: null, expiresAt: null, path: p };
    if (typeof v === 'number' || typeof v === 'boolean') throw new FileProblem(p, `expected a ${kind} name, got ${describe(v)}`, NOT_TEXT_HINT);
    const item = object(v, p, starts ? [refKey, 'startsAt', 'expiresAt'] : [refKey, 'expiresAt']);
    const ref = str(item, refKey, p, true)!;
    const expiresAt = absoluteTime(item.expiresAt, [...p, 'expiresAt']);
    const startsAt = starts ? absoluteTime(item.startsAt, [...p, 'startsAt'], 'startsAt') : null;
    if (startsAt !== null && expiresAt !== null && startsAt >= expiresAt) {
      throw new FileProblem([...p, 'startsAt'], 'startsAt is not before expiresAt', 'a membership that starts when it ends grants nothing');
    }
    return { ref: linkRef(ref, [...p, refKey], kind), startsAt, expiresAt, path: p };
  });
}

const POLICY_KEYS = ['approvers', 'maxDuration', 'approvals', 'pendingTtl', 'requireReason', 'breakGlass'];

/** A group's `request:`: the same validation and defaults as `group update --requestable`. */
function requestOf(v: unknown, path: string[]): DeclaredRequestPolicy | null {
  if (v === undefined || v === null) return null;
  const o = object(v, path, POLICY_KEYS);
  const approvers = linkRef(str(o, 'approvers', path, true)!, [...path, 'approvers'], 'group');
  const duration = (key: 'maxDuration' | 'pendingTtl'): string | undefined => {
    const raw = o[key];
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== 'string') throw new FileProblem([...path, key], `expected a duration, got ${describe(raw)}`, 'for example 8h, 1h30m or 7d');
    return raw;
  };
  const approvals = o.approvals;
  if (approvals !== undefined && approvals !== null && (typeof approvals !== 'number' || !Number.isSafeInteger(approvals))) {
    throw new FileProblem([...path, 'approvals'], `expected a whole number, got ${describe(approvals)}`, 'from 1 to 20');
  }
  const input: PolicyInput = {
    maxDuration: duration('maxDuration'),
    pendingTtl: duration('pendingTtl'),
    approvals: approvals === null ? undefined : (approvals as number | undefined),
    requireReason: o.requireReason === undefined ? undefined : bool(o, 'requireReason', path, true),
    breakGlass: o.breakGlass === undefined ? undefined : bool(o, 'breakGlass', path, false),
  };
  for (const key of ['maxDuration', 'pendingTtl', 'approvals'] as const) {
    if (input[key] !== undefined) check([...path, key], () => buildPolicy('', { [key]: input[key] }, null, () => key));
  }
  return { approvers, policy: buildPolicy('', input, null, (f) => f), path };
}

/** A link's place in the file, kept as its list and index until a problem needs the path. */
class Link implements DeclaredLink {
  constructor(
    readonly ref: string,
    readonly startsAt: number | null,
    readonly expiresAt: number | null,
    private readonly list: readonly string[],
    private readonly index: number,
  ) {}

  get path(): string[] {
    return [...this.list, String(this.index)];
  }
}

/** What linkRef accepts unchanged but for trimming: not an id, not empty. */
const isPlainRef = (value: string) => !ID_SHAPE.test(value.trim()) && value.trim() !== '';

function linkRef(value: string, path: string[], kind: string): string {
  nameRef(value, path, kind);
  if (value.trim() === '') throw new FileProblem(path, `empty ${kind} name`);
  return value.trim();
}

function groupOf(v: unknown, path: string[]): DeclaredGroup {
  const o = object(v, path, ['name', 'isActive', 'expiresAt', 'request', 'members', 'resources', 'services']);
  const name = check([...path, 'name'], () => validateName('group', nameRef(str(o, 'name', path, true)!, [...path, 'name'], 'group')));
  return {
    name,
    isActive: bool(o, 'isActive', path, true),
    expiresAt: absoluteTime(o.expiresAt, [...path, 'expiresAt']),
    request: requestOf(o.request, [...path, 'request']),
    members: linkList(o, 'members', path, 'email', 'user'),
    resources: linkList(o, 'resources', path, 'name', 'resource'),
    services: linkList(o, 'services', path, 'name', 'service'),
    path,
  };
}

function serviceOf(v: unknown, path: string[]): DeclaredService {
  const o = object(v, path, ['name', 'description', 'state', 'resources', 'groups']);
  const name = check([...path, 'name'], () => validateServiceName(nameRef(str(o, 'name', path, true)!, [...path, 'name'], 'service')));
  return {
    name,
    description: check([...path, 'description'], () => validateOptionalText('description', str(o, 'description', path, false), 1024) ?? ''),
    state: check([...path, 'state'], () => parseEnum('state', ['ACTIVE', 'DISABLED'] as const, str(o, 'state', path, false) ?? 'ACTIVE')),
    resources: linkList(o, 'resources', path, 'name', 'resource'),
    groups: linkList(o, 'groups', path, 'name', 'group'),
    path,
  };
}

function settingsOf(v: unknown): AccessFile['settings'] {
  if (v === undefined || v === null) return [];
  const o = object(v, ['settings'], Object.keys(v as Obj));
  const seen = new Set<string>();
  return Object.entries(o).map(([k, raw]) => {
    const path = ['settings', k];
    const key = check(path, () => parseSettingName(k));
    if (seen.has(key)) throw new FileProblem(path, `setting ${key} is given twice`, 'a setting is given once per file');
    seen.add(key);
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') throw new FileProblem(path, `expected a value, got ${describe(raw)}`);
    const spec = (SETTINGS as Record<string, { parse(v: string): string }>)[key]!;
    return { key, value: check(path, () => spec.parse(String(raw))), path };
  });
}

function testOf(v: unknown, path: string[]): DeclaredTest {
  const o = object(v, path, ['user', 'service', 'can', 'cannot', 'at']);
  if ((o.user === undefined) === (o.service === undefined)) throw new FileProblem(path, 'a test names exactly one user or service');
  const subjectKind = o.user !== undefined ? 'user' : 'service';
  const subject = nameRef(str(o, subjectKind, path, true)!, [...path, subjectKind], subjectKind).trim();
  const targets = (key: string) => list(o, key, path, (t, p) => targetOf(t, p));
  const test: DeclaredTest = { subjectKind, subject, can: targets('can'), cannot: targets('cannot'), at: absoluteTime(o.at, [...path, 'at']), path };
  if (test.can.length + test.cannot.length === 0) throw new FileProblem(path, 'a test with nothing to check', 'add can: [resource] or cannot: [resource]');
  return test;
}

/** `resource`, `resource:port`, `resource:port/proto` or `resource:icmp`. */
export function targetOf(v: unknown, path: string[]): TestTarget {
  if (typeof v !== 'string' || v.trim() === '') throw new FileProblem(path, `expected resource[:port[/proto]], got ${describe(v)}`);
  const text = v.trim();
  const icmp = /^(.+):icmp$/i.exec(text);
  if (icmp) return { text, resource: nameRef(icmp[1]!, path, 'resource'), protocol: 'icmp' };
  const m = /^(.+):([0-9]{1,5})(?:\/(tcp|udp))?$/i.exec(text);
  if (!m) return { text, resource: nameRef(text, path, 'resource') };
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new FileProblem(path, `port ${port} is out of range`, 'ports are 1-65535');
  return { text, resource: nameRef(m[1]!, path, 'resource'), port, protocol: (m[3]?.toLowerCase() as 'tcp' | 'udp' | undefined) ?? 'tcp' };
}

function unique<T extends { path: string[] }>(items: readonly T[], name: (t: T) => string, what: string): void {
  const seen = new Map<string, T>();
  for (const item of items) {
    const key = nameKey(name(item));
    const first = seen.get(key);
    if (first) {
      throw new FileProblem(item.path, `duplicate ${what} ${JSON.stringify(name(item))}`, `already declared at ${pathOf(first.path)}; names are unique, case-insensitively`);
    }
    seen.set(key, item);
  }
}

function pathOf(p: string[]): string {
  return p.map((s, i) => (/^[0-9]+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}
