import { evaluateAccess, type AccessRequest, type Decision, type ResourceFacts, type Subject } from '../../../domain/access.js';
import { DeniedError, UsageError } from '../../../domain/errors.js';
import { PROTOCOLS, parsePort, type Protocol } from '../../../domain/ports.js';
import { formatTimestamp } from '../../../domain/time.js';
import { parseEnum } from '../../../domain/validate.js';
import { resourceFactsOf } from '../../../domain/access-code/effective.js';
import { serviceCandidates, userCandidates, type CandidateRow } from '../../../store/access.js';
import { chunks, type Db } from '../../../store/mutate.js';
import { getResource } from '../../../store/resources.js';
import { getService } from '../../../store/services.js';
import type { ResourcesTable, ServicesTable, UsersTable } from '../../../store/tables.js';
import { getUser } from '../../../store/users.js';
import { latestChangeAt } from '../../../store/latest-change.js';
import { compareCodePoints } from '../../../domain/order.js';
import type { OutputRecord } from '../../../output/fields.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { authenticateToken, readToken, type Authentication, type TokenSource } from '../key/authenticate.js';

export const userSubject = (u: UsersTable): Subject => ({ kind: 'user', id: u.id, name: u.email, state: u.state as Subject['state'] });
export const serviceSubject = (s: ServicesTable): Subject => ({ kind: 'service', id: s.id, name: s.name, state: s.state as Subject['state'] });
/** The one mapping from a resources row to what the access rule reads (domain/access-code/effective.ts). */
export const resourceFacts = resourceFactsOf;

/** One row per granting path, or one row saying why not. */
export function accessRecords(subject: Subject, resource: ResourceFacts, decision: Decision): OutputRecord[] {
  const base = {
    subjectType: subject.kind,
    subjectId: subject.id,
    subjectName: subject.name,
    resourceId: resource.id,
    resourceName: resource.name,
    address: resource.address,
  };
  if (!decision.allowed) {
    return [{ ...base, allowed: false, via: null, groupId: null, groupName: null, expiresAt: null, limitedBy: null, reason: decision.reason }];
  }
  return decision.paths.map((p) => ({
    ...base,
    allowed: true,
    via: p.via,
    groupId: p.groupId,
    groupName: p.groupName,
    expiresAt: formatTimestamp(p.expiresAt),
    limitedBy: p.limitedBy,
    reason: null,
  }));
}

export interface AccessCheckOptions {
  user?: string | undefined;
  service?: string | undefined;
  token?: TokenSource | undefined;
  resource: string;
  protocol?: string | undefined;
  port?: string | undefined;
}

export function parseRequest(protocol: string | undefined, port: string | undefined): AccessRequest {
  if (protocol === undefined) {
    if (port !== undefined) return { protocol: 'tcp', port: parsePort(port) };
    return {};
  }
  const p = parseEnum('protocol', PROTOCOLS.map((x) => x.toUpperCase()) as readonly string[], protocol).toLowerCase() as Protocol;
  if (p === 'icmp' && port !== undefined) throw new UsageError('--port does not apply to icmp');
  return { protocol: p, ...(port === undefined ? {} : { port: parsePort(port) }) };
}

export async function runAccessCheck(opts: AccessCheckOptions, ctx: Ctx): Promise<Output> {
  const given = [opts.user, opts.service, opts.token].filter((x) => x !== undefined).length;
  if (given !== 1) throw new UsageError('say who is asking: exactly one of --user, --service or --token-stdin/--token-file');
  const request = parseRequest(opts.protocol, opts.port);
  const now = ctx.clock.now();
  // A token is read before the store is opened: a malformed one is rejected before any lookup.
  const token = opts.token ? await readToken(ctx, opts.token) : undefined;
  // ... and judged before the resource is looked up: an invalid token learns nothing about it,
  // not even whether it exists.
  const auth = token === undefined ? undefined : await authenticateToken(ctx, token);
  if (auth !== undefined && !auth.valid) return invalidTokenDenial(auth);
  const db = ctx.store().db;
  const resource = resourceFacts(await getResource(db, opts.resource));
  let subject: Subject;
  let candidates: CandidateRow[];
  if (opts.user !== undefined) {
    subject = userSubject(await getUser(db, opts.user));
    candidates = await userCandidates(db, { subjectId: subject.id, resourceId: resource.id });
  } else {
    const service = await getService(db, auth !== undefined ? auth.serviceId! : opts.service!);
    subject = serviceSubject(service);
    candidates = await serviceCandidates(db, { subjectId: subject.id, resourceId: resource.id });
  }
  const decision = evaluateAccess(
    subject,
    resource,
    candidates.map((c) => c.path),
    now,
    request,
  );
  await notePastClock(ctx, now);
  return {
    kind: 'accessCheck',
    records: checkRecords(accessRecords(subject, resource, decision)),
    after: decision.allowed ? undefined : new DeniedError(`access denied: ${decision.reason}`),
    omit: checkOmits(decision.allowed, opts.token === undefined),
  };
}

/**
 * A terminal shows an allowed check's path, and a denied one's reason; not the resource asked
 * about, nor a subject named by --user or --service: they would only repeat the question on
 * every row (a token's service is news, and stays).
 */
export function checkOmits(allowed: boolean, subjectNamed = true): string[] {
  const asked = subjectNamed ? ['subjectName', 'resourceName'] : ['resourceName'];
  return [...asked, ...(allowed ? ['reason'] : ['via', 'groupName', 'expiresAt'])];
}

/** `access check`'s rows: the access records with the decision in a word, for people and scripts. */
export function checkRecords(records: readonly OutputRecord[]): OutputRecord[] {
  return records.map((r) => ({ decision: r.allowed ? 'allowed' : 'denied', ...r }));
}

/**
 * ACCESSCTL_NOW moves the clock, not the store: set before the store's last change, the answer
 * still comes from today's grants. Say so, and name the flag that answers "what was".
 */
async function notePastClock(ctx: Ctx, now: number): Promise<void> {
  if (!ctx.clock.overridden || ctx.env.ACCESSCTL_NOW === undefined) return;
  const last = await latestChangeAt(ctx.store().db);
  if (last !== null && now < last) {
    ctx.note(`note: ACCESSCTL_NOW is before the store's last change (${formatTimestamp(last)}); this answers from today's grants at that time. For what was, use --as-of ${formatTimestamp(now)}`);
  }
}

/** The denial for a token that is not valid: what the token showed, and nothing of the resource asked for. */
function invalidTokenDenial(auth: Authentication): Output {
  return { kind: 'accessCheck', records: checkRecords([invalidTokenRecord(auth)]), after: new DeniedError(`access denied: invalid token: ${auth.reason}`), omit: checkOmits(false, false) };
}

export function invalidTokenRecord(auth: Authentication): OutputRecord {
  return {
    subjectType: 'service',
    subjectId: auth.serviceId,
    subjectName: auth.serviceName,
    resourceId: null,
    resourceName: null,
    address: null,
    allowed: false,
    via: null,
    groupId: null,
    groupName: null,
    expiresAt: null,
    limitedBy: null,
    reason: auth.reason,
  };
}

export interface AccessListOptions {
  user?: string | undefined;
  service?: string | undefined;
  resource?: string | undefined;
}

function byKey<T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const list = out.get(key(r));
    if (list) list.push(r);
    else out.set(key(r), [r]);
  }
  return out;
}

async function rowsByIds<T extends 'users' | 'services' | 'resources'>(db: Db, table: T, ids: readonly string[]) {
  const out = new Map<string, T extends 'users' ? UsersTable : T extends 'services' ? ServicesTable : ResourcesTable>();
  for (const part of chunks(ids)) {
    const rows = await db.selectFrom(table as 'users').selectAll().where('id', 'in', part).execute();
    for (const r of rows) out.set(r.id, r as never);
  }
  return out;
}

/** Effective access now: every resource a subject reaches (or every subject reaching a resource), with path and expiry. */
export async function runAccessList(opts: AccessListOptions, ctx: Ctx): Promise<Output> {
  const given = [opts.user, opts.service, opts.resource].filter((x) => x !== undefined).length;
  if (given !== 1) throw new UsageError('pass exactly one of --user, --service or -r RESOURCE', 'or --all for every grant, -g GROUP for one group\'s');
  const db = ctx.store().db;
  const now = ctx.clock.now();
  const records: OutputRecord[] = [];
  const emitAllowed = (subject: Subject, resource: ResourceFacts, rows: CandidateRow[]) => {
    const decision = evaluateAccess(
      subject,
      resource,
      rows.map((r) => r.path),
      now,
    );
    if (decision.allowed) records.push(...accessRecords(subject, resource, decision));
  };
  if (opts.resource === undefined) {
    const subject = opts.user !== undefined ? userSubject(await getUser(db, opts.user)) : serviceSubject(await getService(db, opts.service!));
    const rows = subject.kind === 'user' ? await userCandidates(db, { subjectId: subject.id }) : await serviceCandidates(db, { subjectId: subject.id });
    const grouped = byKey(rows, (r) => r.resourceId);
    const resources = await rowsByIds(db, 'resources', [...grouped.keys()]);
    const sorted = [...resources.values()].sort((a, b) => compareCodePoints(a.name_key, b.name_key));
    for (const r of sorted) emitAllowed(subject, resourceFacts(r), grouped.get(r.id)!);
  } else {
    const resource = resourceFacts(await getResource(db, opts.resource));
    const userRows = byKey(await userCandidates(db, { resourceId: resource.id }), (r) => r.subjectId);
    const users = await rowsByIds(db, 'users', [...userRows.keys()]);
    for (const u of [...users.values()].sort((a, b) => compareCodePoints(a.email_key, b.email_key))) emitAllowed(userSubject(u), resource, userRows.get(u.id)!);
    const serviceRows = byKey(await serviceCandidates(db, { resourceId: resource.id }), (r) => r.subjectId);
    const services = await rowsByIds(db, 'services', [...serviceRows.keys()]);
    for (const s of [...services.values()].sort((a, b) => compareCodePoints(a.name_key, b.name_key))) emitAllowed(serviceSubject(s), resource, serviceRows.get(s.id)!);
  }
  // A column that only repeats the filter given is left out of a terminal's short set.
  return { kind: 'access', records, omit: opts.resource !== undefined ? ['resourceName', 'address'] : ['subjectName'] };
}
