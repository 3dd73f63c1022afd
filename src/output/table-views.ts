import { formatRelative, parseTimestamp } from '../domain/time.js';
import type { OutputRecord, RecordKind } from './fields.js';
import { policyText } from './policy-text.js';
import { Lines } from './table.js';

/** The columns that name each row of a list: a terminal never cuts or drops them. */
export const NAMING_COLUMNS: Partial<Record<RecordKind, readonly string[]>> = {
  user: ['email'],
  resource: ['name'],
  group: ['name'],
  groupShow: ['name'],
  service: ['name'],
  key: ['serviceName', 'name'],
  keyReport: ['serviceName', 'name'],
  access: ['subjectName', 'resourceName'],
  accessCheck: ['subjectName', 'resourceName', 'groupName'],
  accessChange: ['subjectName', 'resourceName'],
  expiring: ['subjectName', 'gives'],
  sweep: ['name'],
  setting: ['key'],
  importChange: ['name'],
  audit: ['seq'],
  request: ['id', 'userEmail'],
  review: ['id', 'name'],
  reviewItem: ['item', 'subject'],
};

/** Columns a terminal may cut but never drops: what a check decided, and why. */
export const KEPT_COLUMNS: Partial<Record<RecordKind, readonly string[]>> = {
  accessCheck: ['decision', 'reason'],
};

const ID_RE = /^[a-z]{3}_[0-9A-Za-z]{16}$/;
/** The fields that hold a list of ids (a group's users, a service's resources …): counted when empty too. */
const ID_LISTS: ReadonlySet<string> = new Set(['users', 'resources', 'services', 'groups']);

/**
 * What a table shows of a record, for people: a group's links by name with their own times
 * (`group show`, `service show`), and, in a terminal's short list, a list of ids as its count (`users  3`).
 */
export function tableView(kind: RecordKind, record: OutputRecord, shortList: boolean, now: number): OutputRecord {
  // A request policy reads as one line, `request`; a group that takes no requests shows nothing there.
  if ((kind === 'group' || kind === 'groupShow') && 'requestPolicy' in record) {
    const policy = record.requestPolicy;
    record = { ...record, request: policy !== null && typeof policy === 'object' ? policyText(policy) : null };
  }
  if (kind === 'groupShow' && Array.isArray(record.links)) {
    const links = record.links as Array<{ type: string; name: string; startsAt: string | null; expiresAt: string | null }>;
    const of = (type: string) => new Lines(links.filter((l) => l.type === type).map((l) => linkLine(l, now)));
    return { ...record, users: of('user'), resources: of('resource'), services: of('service') };
  }
  // A service printed as one object: its resources and groups by name, as `group show` prints them.
  if (kind === 'service' && !shortList && Array.isArray(record.links)) {
    const links = record.links as Array<{ type: string; name: string; startsAt: string | null; expiresAt: string | null }>;
    const of = (type: string) => new Lines(links.filter((l) => l.type === type).map((l) => linkLine(l, now)));
    return { ...record, resources: of('resource'), groups: of('group') };
  }
  if (kind === 'request' && Array.isArray(record.approvals)) {
    const approvals = record.approvals as Array<{ login: string; at: string; reason: string | null }>;
    const line = (a: { login: string; at: string; reason: string | null }) => `${a.login}  ${a.at.slice(0, 10)} ${a.at.slice(11, 16)} UTC${a.reason ? `  ${a.reason}` : ''}`;
    return { ...record, approvals: shortList ? approvals.length : new Lines(approvals.map(line)) };
  }
  if (!shortList) return record;
  let out: OutputRecord | undefined;
  for (const [field, value] of Object.entries(record)) {
    // An empty list of findings is no findings, not "0".
    const ids = Array.isArray(value) && (value.length === 0 ? ID_LISTS.has(field) : value.every((v) => typeof v === 'string' && ID_RE.test(v)));
    if (ids) (out ??= { ...record })[field] = (value as unknown[]).length;
  }
  return out ?? record;
}

function linkLine(l: { name: string; startsAt: string | null; expiresAt: string | null }, now: number): string {
  const at = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  // A membership approved for later says so first: it gives nothing until then.
  if (l.startsAt !== null && parseTimestamp(l.startsAt) > now) {
    const from = `starts ${at(l.startsAt)} UTC (${formatRelative(parseTimestamp(l.startsAt), now)})`;
    return l.expiresAt === null ? `${l.name}  ${from}` : `${l.name}  ${from}, until ${at(l.expiresAt)} UTC`;
  }
  if (l.expiresAt === null) return l.startsAt === null ? l.name : `${l.name}  since ${at(l.startsAt)} UTC`;
  // The end first, with its relative form, then the start, without the date (or year) it shares:
  // a line for an ordinary email fits 80 columns, and what a narrow terminal cuts is the start.
  const ends = `until ${at(l.expiresAt)} UTC (${formatRelative(parseTimestamp(l.expiresAt), now)})`;
  if (l.startsAt === null) return `${l.name}  ${ends}`;
  const sameYear = l.startsAt.slice(0, 4) === l.expiresAt.slice(0, 4);
  const from = l.startsAt.slice(0, 10) === l.expiresAt.slice(0, 10) ? l.startsAt.slice(11, 16) : sameYear ? at(l.startsAt).slice(5) : at(l.startsAt);
  return `${l.name}  ${ends}, from ${from}`;
}
