import { evaluateAccess, type Subject } from '../../../domain/access.js';
import { DeniedError, NotFoundError, UsageError } from '../../../domain/errors.js';
import { factsOf, subjectOfService, subjectOfUser, type AccessChange, type Grant, type PopulationFilter } from '../../../domain/point-in-time.js';
import { IncrementalPopulation } from '../../../domain/access-diff.js';
import type { Change } from '../../../domain/audit-events.js';
import { stateCandidates, type State } from '../../../domain/state.js';
import { formatTimestamp, parseSince } from '../../../domain/time.js';
import { nameKey } from '../../../domain/validate.js';
import { livePopulation, loadAccessTables } from '../../../store/live-population.js';
import { streamPopulation } from '../../../domain/population-stream.js';
import { replayedPopulation } from '../../../domain/replayed-population.js';
import { foldLog, replayUntil } from '../../../store/replay-log.js';
import { refuseBeforeHorizon } from '../../../store/log-horizon.js';
import { streamInReadSnapshot } from '../../../store/read-snapshot.js';
import type { OutputRecord } from '../../../output/fields.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { accessRecords, checkOmits, checkRecords, parseRequest } from './run.js';

/**
 * Access at a moment in the past, answered from the state replayed from the audit log up to it:
 * objects since deleted or swept included. The same rule (stateCandidates + evaluateAccess) as
 * now and as a what-if; only the State it reads differs.
 */
async function stateAsOf(ctx: Ctx, at: number): Promise<State> {
  return (await replayUntil(ctx.store().db, ctx.clock.now(), at)).state;
}

const when = (at: number) => formatTimestamp(at)!;

function findIn<T extends { id: string }>(rows: Map<string, T>, ref: string, key: (r: T) => string, kind: string, at: number | null): T {
  const hit = rows.get(ref) ?? [...rows.values()].find((r) => key(r) === nameKey(ref));
  if (!hit) throw new NotFoundError(`${kind} ${JSON.stringify(ref.slice(0, 80))} ${at === null ? 'not found' : `did not exist at ${when(at)}`}`, at === null ? `see accessctl ${kind} list` : 'check the time, or the name it had then');
  return hit;
}

const userIn = (s: State, ref: string, at: number | null) => findIn(s.users, ref, (u) => u.email_key, 'user', at);
const serviceIn = (s: State, ref: string, at: number | null) => findIn(s.services, ref, (x) => x.name_key, 'service', at);
const resourceIn = (s: State, ref: string, at: number | null) => findIn(s.resources, ref, (r) => r.name_key, 'resource', at);
const groupIn = (s: State, ref: string, at: number | null) => findIn(s.groups, ref, (g) => g.name_key, 'group', at);

export function parseMoment(raw: string, flag: string, now: number): number {
  return parseSince(raw, now, flag);
}

export interface AsOfCheckOptions {
  user?: string | undefined;
  service?: string | undefined;
  resource: string;
  protocol?: string | undefined;
  port?: string | undefined;
  asOf: string;
}

export async function runAccessCheckAsOf(opts: AsOfCheckOptions, ctx: Ctx): Promise<Output> {
  if ([opts.user, opts.service].filter((x) => x !== undefined).length !== 1) {
    throw new UsageError('--as-of asks about a user or a service: pass exactly one of --user or --service', 'a token is judged now; ask about its service instead');
  }
  const request = parseRequest(opts.protocol, opts.port);
  const at = parseMoment(opts.asOf, '--as-of', ctx.clock.now());
  await refuseBeforeHorizon(ctx.store().db, at, '--as-of');
  const state = await stateAsOf(ctx, at);
  const resource = factsOf(resourceIn(state, opts.resource, at));
  const subject: Subject = opts.user !== undefined ? subjectOfUser(userIn(state, opts.user, at)) : subjectOfService(serviceIn(state, opts.service!, at));
  const paths = stateCandidates(state, subject.kind, { subjectId: subject.id, resourceId: resource.id }).map((c) => c.path);
  const decision = evaluateAccess(subject, resource, paths, at, request);
  return {
    kind: 'accessCheck',
    records: checkRecords(accessRecords(subject, resource, decision)),
    omit: checkOmits(decision.allowed),
    after: decision.allowed ? undefined : new DeniedError(`access denied at ${when(at)}: ${decision.reason}`),
  };
}

export interface PopulationOptions {
  user?: string | undefined;
  service?: string | undefined;
  resource?: string | undefined;
  group?: string | undefined;
  all?: boolean | undefined;
  asOf?: string | undefined;
}

function grantRecord(g: Grant): OutputRecord {
  return accessRecords(g.subject, g.resource, { allowed: true, paths: [g.path], reason: null })[0]!;
}

/**
 * `access list` over a State: --all (the auditor's population), -g GROUP, or one subject or
 * resource, now (the live tables) or --as-of a moment (the replayed log).
 */
export async function runAccessPopulation(opts: PopulationOptions, ctx: Ctx): Promise<Output> {
  const given = [opts.user, opts.service, opts.resource, opts.group, opts.all || undefined].filter((x) => x !== undefined).length;
  if (given !== 1) throw new UsageError('pass exactly one of --user, --service, -r RESOURCE, -g GROUP or --all');
  const now = ctx.clock.now();
  const at = opts.asOf === undefined ? now : parseMoment(opts.asOf, '--as-of', now);
  const asOf = opts.asOf === undefined ? null : at;
  if (asOf !== null) await refuseBeforeHorizon(ctx.store().db, asOf, '--as-of');
  if (asOf === null) {
    // Now: every table but the users' memberships, which are read a batch of users at a time,
    // all in one read snapshot kept open while the answer is written.
    const grants = streamInReadSnapshot(ctx.store(), async function* (db) {
      const tables = await loadAccessTables(db);
      yield* livePopulation(db, tables, at, populationFilter(opts, tables, null));
    });
    // The first grant is read before anything is printed: an unknown name is one line, no header.
    const first = await grants.next();
    return { kind: 'access', records: recordsOf(first.done ? [] : prepend(first.value, grants)) };
  }
  // The replay held packed, its memberships unpacked a subject at a time (a million of them as
  // objects would be most of a gigabyte).
  const { state, members } = replayedPopulation(await replayUntil(ctx.store().db, now, at, { packed: true }));
  return { kind: 'access', records: recordsOf(streamPopulation(state, at, populationFilter(opts, state, asOf), members)) };
}

function populationFilter(opts: PopulationOptions, state: State, asOf: number | null): PopulationFilter {
  const filter: PopulationFilter = {};
  if (opts.user !== undefined) Object.assign(filter, { subjectKind: 'user', subjectId: userIn(state, opts.user, asOf).id });
  if (opts.service !== undefined) Object.assign(filter, { subjectKind: 'service', subjectId: serviceIn(state, opts.service, asOf).id });
  if (opts.resource !== undefined) filter.resourceId = resourceIn(state, opts.resource, asOf).id;
  if (opts.group !== undefined) filter.groupId = groupIn(state, opts.group, asOf).id;
  return filter;
}

/** A --limit that stops early, even at `first`, ends `rest` and with it the read snapshot. */
async function* prepend<T>(first: T, rest: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    yield first;
    yield* rest;
  } finally {
    await rest.return(undefined);
  }
}

async function* recordsOf(grants: Iterable<Grant> | AsyncIterable<Grant>): AsyncGenerator<OutputRecord> {
  for await (const g of grants) yield grantRecord(g);
}

export interface AccessDiffOptions {
  from: string;
  to?: string | undefined;
}

/** Access gained and lost between two moments, each with the event that caused it (or its expiry). */
export async function runAccessDiff(opts: AccessDiffOptions, ctx: Ctx): Promise<Output> {
  const now = ctx.clock.now();
  const from = parseMoment(opts.from, '--from', now);
  const to = opts.to === undefined ? now : parseMoment(opts.to, '--to', now);
  if (to < from) throw new UsageError('--to is before --from', 'swap them');
  await refuseBeforeHorizon(ctx.store().db, from, '--from');
  // Walk the window step by step, each event, each expiry and each membership start in turn, so
  // access that came and went inside it is listed too, each change with its own cause. Only the
  // subjects a step touches are recomputed (domain/access-diff.ts).
  const changes: AccessChange[] = [];
  let current: IncrementalPopulation | null = null;
  const replay = await foldLog(ctx.store().db, now, (e, r, apply) => {
    if (e.at <= from) {
      apply();
      return true;
    }
    current ??= new IncrementalPopulation(r.state, from);
    if (e.at > to) return false;
    current.advanceTo(e.at, changes);
    apply();
    const details = JSON.parse(e.details) as { v?: unknown; changes?: unknown };
    const rows = details.v === 2 && Array.isArray(details.changes) ? (details.changes as Change[]) : [];
    current.applied(rows, { seq: e.seq, at: e.at, actor: e.actor, action: e.action }, Math.max(current.t, e.at), changes);
    return true;
  });
  current ??= new IncrementalPopulation(replay.state, from);
  current.advanceTo(to, changes);
  return {
    kind: 'accessChange',
    records: changeRecords(changes),
  };
}

/** Each change as a record, made as it is printed (the list lets go of each one printed). */
function* changeRecords(changes: Array<AccessChange | undefined>): Generator<OutputRecord> {
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    changes[i] = undefined;
    yield {
      change: c.change,
      subjectType: c.grant.subject.kind,
      subjectId: c.grant.subject.id,
      subjectName: c.grant.subject.name,
      resourceId: c.grant.resource.id,
      resourceName: c.grant.resource.name,
      via: c.grant.path.via,
      groupId: c.grant.path.groupId,
      groupName: c.grant.path.groupName,
      at: formatTimestamp(c.at),
      seq: c.event?.seq ?? null,
      actor: c.event?.actor ?? null,
      action: c.event?.action ?? null,
      cause: c.event === null ? `${c.change === 'gained' ? 'started' : 'expired'} at ${formatTimestamp(c.at)}` : `seq ${c.event.seq} ${c.event.action} by ${c.event.actor}`,
    };
  }
}
