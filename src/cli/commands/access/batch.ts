import { evaluateAccess, type Decision, type GrantPath, type Subject } from '../../../domain/access.js';
import { StoreError, UserError } from '../../../domain/errors.js';
import { formatTimestamp } from '../../../domain/time.js';
import { assertIdShape } from '../../../domain/ids.js';
import { prepareAccessLookups, type AccessLookups } from '../../../store/access-lookups.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { authenticateToken } from '../key/authenticate.js';
import { answerLines, MAX_REQUEST_BYTES } from './request-lines.js';

export { MAX_REQUEST_BYTES };
import { accessRecords, checkRecords, invalidTokenRecord, parseRequest, resourceFacts, serviceSubject, userSubject } from './run.js';
import type { OutputRecord } from '../../../output/fields.js';

/**
 * `access check --batch` (SPEC §13): NDJSON requests in, one NDJSON answer per request out, in
 * order, each written as soon as it is known, so a gate can keep one process as a co-process.
 * Each request is answered from the store as it is when the request is read: no read transaction
 * spans two requests. docs/batch.md is the contract.
 */

const FIELDS = new Set(['user', 'service', 'token', 'resource', 'port', 'protocol', 'id', 'detail']);

export interface Answer {
  id?: string | number;
  allowed: boolean;
  reason: string | null;
  via: GrantPath['via'] | null;
  group: string | null;
  expiresAt: string | null;
  error?: { code: string; message: string };
  /** With `"detail": true`: the rows a single `access check` prints (every granting path). */
  records?: OutputRecord[];
}

/** A request the gate cannot have meant: answered, never fatal. */
class BadRequest extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function runAccessBatch(ctx: Ctx): Promise<Output> {
  // Opened before the first line is read: a missing or unreachable store is one line and exit 6,
  // not a stream of error answers.
  const lookups = prepareAccessLookups(ctx.store());
  await ctx.ready();
  const store = ctx.store();
  await answerLines(
    ctx.io.stdin,
    async (bytes) => {
      // A store file replaced (a restore, a mv) or removed under a long-running gate would keep
      // being answered from the old file: that is exit 6 before the next answer, never a stale one.
      if (store.sameFile && !store.sameFile()) {
        throw new StoreError(`store ${store.path} was replaced or removed while the batch was running`, 'start the batch again on the store as it is now');
      }
      return bytes === null ? tooLarge() : await answerBytes(ctx, lookups, bytes);
    },
    // Waits when the reader is slow (backpressure) before the next request is read.
    async (text) => void (await ctx.io.stdout.write(text)),
  );
  return { kind: 'access', records: [], format: 'ndjson' };
}

/** The answer to a line longer than MAX_REQUEST_BYTES. */
export function tooLarge(): Answer {
  return errorAnswer('TOO_LARGE', `request is larger than ${MAX_REQUEST_BYTES} bytes`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A line that is not UTF-8 is answered as malformed: its id could not be echoed faithfully. */
export function answerBytes(ctx: Ctx, lookups: AccessLookups, bytes: Buffer): Promise<Answer> | Answer {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return errorAnswer('MALFORMED', 'not valid UTF-8');
  }
  return inOneRead(ctx, () => answerRequest(ctx, lookups, text));
}

/**
 * One request's lookups (the token's key, the resource, the subject, its paths) read one moment
 * of a SQLite store: a deferred read transaction, so a writer committing between two of them is
 * seen by all or none. No transaction spans two requests. (On PostgreSQL each lookup is its own
 * statement on the batch's connection.)
 */
async function inOneRead<T>(ctx: Ctx, work: () => Promise<T>): Promise<T> {
  const sqlite = ctx.store().sqlite;
  if (sqlite === undefined || sqlite.inTransaction) return work();
  sqlite.exec('begin deferred');
  try {
    return await work();
  } finally {
    if (sqlite.inTransaction) sqlite.exec('commit');
  }
}

/**
 * The keys of a JSON object's outermost level, as written (the text has parsed as an object):
 * JSON.parse keeps the last of two equal keys, and a gate that reads the first would disagree
 * about who is asking.
 */
function writtenKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let inString = false;
  let keyStart = -1;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) {
        inString = false;
        if (keyStart >= 0) keys.push(JSON.parse(text.slice(keyStart, i + 1)) as string);
        keyStart = -1;
      }
    } else if (c === 0x22) {
      inString = true;
      if (depth === 1 && expectKey) keyStart = i;
      expectKey = false;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      expectKey = depth === 1 && c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c && depth === 1) expectKey = true;
  }
  return keys;
}

export function errorAnswer(code: string, message: string, id?: string | number): Answer {
  return { ...(id === undefined ? {} : { id }), allowed: false, reason: message, via: null, group: null, expiresAt: null, error: { code, message } };
}

interface Request {
  id?: string | number;
  user?: string;
  service?: string;
  token?: string;
  resource: string;
  port?: string;
  protocol?: string;
  detail?: boolean;
}

/** Checks a request's shape. Messages never quote what was sent: a line may hold a token. */
function parseLine(text: string): Request {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequest('MALFORMED', 'not a JSON object on one line');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BadRequest('MALFORMED', 'not a JSON object on one line');
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!FIELDS.has(key)) throw new BadRequest('MALFORMED', `unknown field (expected ${[...FIELDS].join(', ')})`);
  }
  if (writtenKeys(text).length !== Object.keys(o).length) throw new BadRequest('MALFORMED', 'a field is given twice');
  const text_ = (name: string): string | undefined => {
    const v = o[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.length === 0) throw new BadRequest('MALFORMED', `"${name}" must be a non-empty string`);
    return v;
  };
  const id = o.id;
  if (id !== undefined && !(typeof id === 'number' && Number.isSafeInteger(id)) && !(typeof id === 'string' && id.length <= 200)) {
    throw new BadRequest('MALFORMED', '"id" must be an integer or a string of at most 200 characters');
  }
  const port = o.port;
  if (port !== undefined && typeof port !== 'number' && !(typeof port === 'string' && /^[0-9]{1,5}$/.test(port))) {
    throw new BadRequest('MALFORMED', '"port" must be a number');
  }
  if (o.detail !== undefined && typeof o.detail !== 'boolean') throw new BadRequest('MALFORMED', '"detail" must be true or false');
  const request: Request = {
    ...(id === undefined ? {} : { id: id as string | number }),
    ...(o.detail === true ? { detail: true } : {}),
    user: text_('user'),
    service: text_('service'),
    token: text_('token'),
    resource: text_('resource') ?? '',
    protocol: text_('protocol'),
    port: port === undefined ? undefined : String(port),
  };
  const who = [request.user, request.service, request.token].filter((x) => x !== undefined).length;
  if (who !== 1) throw new BadRequest('MALFORMED', 'say who is asking: exactly one of "user", "service" or "token"');
  if (request.resource === '') throw new BadRequest('MALFORMED', 'missing "resource"');
  return request;
}

async function answerRequest(ctx: Ctx, lookups: AccessLookups, text: string): Promise<Answer> {
  let request: Request;
  try {
    request = parseLine(text);
  } catch (err) {
    if (err instanceof BadRequest) return errorAnswer(err.code, err.message, idOf(text));
    throw err;
  }
  try {
    return { ...(request.id === undefined ? {} : { id: request.id }), ...(await decide(ctx, lookups, request)) };
  } catch (err) {
    if (err instanceof BadRequest) return errorAnswer(err.code, err.message, request.id);
    throw err;
  }
}

/** The id of a request that could not be parsed whole, when it can be had safely. */
function idOf(text: string): string | number | undefined {
  try {
    const parsed = JSON.parse(text) as { id?: unknown };
    // Two ids: echoing either would pick a side.
    if (parsed === null || typeof parsed !== 'object' || writtenKeys(text).filter((k) => k === 'id').length > 1) return undefined;
    const id = parsed.id;
    return (typeof id === 'number' && Number.isSafeInteger(id)) || (typeof id === 'string' && id.length <= 200) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** A lookup whose miss is this request's answer, in words that never echo the reference. */
async function lookup<T>(kind: 'user' | 'service' | 'resource', ref: string, find: (ref: string) => Promise<T | undefined>): Promise<T> {
  const row = await find(ref);
  if (row !== undefined) return row;
  try {
    assertIdShape(kind, ref);
  } catch {
    throw new BadRequest('USAGE', `invalid ${kind} reference`);
  }
  throw new BadRequest('NOT_FOUND', `${kind} not found`);
}

async function decide(ctx: Ctx, lookups: AccessLookups, request: Request): Promise<Omit<Answer, 'id'>> {
  let accessRequest;
  try {
    accessRequest = parseRequest(request.protocol, request.port);
  } catch (err) {
    // The message would quote the value, and a misplaced token must never come back.
    if (err instanceof UserError) throw new BadRequest(err.code, 'invalid "port" or "protocol" (port 1-65535; protocol tcp, udp or icmp; no port with icmp)');
    throw err;
  }
  const now = ctx.clock.now();
  let serviceRef = request.service;
  if (request.token !== undefined) {
    // The token is judged before the resource: an invalid token learns nothing about it.
    const auth = await authenticateToken(ctx, request.token, lookups);
    if (!auth.valid) return { allowed: false, reason: `invalid token: ${auth.reason}`, via: null, group: null, expiresAt: null, ...(request.detail ? { records: checkRecords([invalidTokenRecord(auth)]) } : {}) };
    serviceRef = auth.serviceId!;
  }
  const resource = resourceFacts(await lookup('resource', request.resource, lookups.resource));
  let subject: Subject;
  let decision: Decision;
  if (request.user !== undefined) {
    subject = userSubject(await lookup('user', request.user, lookups.user));
    decision = evaluateAccess(subject, resource, (await lookups.userPaths(subject.id, resource.id)).map((c) => c.path), now, accessRequest);
  } else {
    subject = serviceSubject(await lookup('service', serviceRef!, lookups.service));
    decision = evaluateAccess(subject, resource, (await lookups.servicePaths(subject.id, resource.id)).map((c) => c.path), now, accessRequest);
  }
  const detail = request.detail ? { records: checkRecords(accessRecords(subject, resource, decision)) } : {};
  if (!decision.allowed) return { allowed: false, reason: decision.reason, via: null, group: null, expiresAt: null, ...detail };
  const path = longest(decision.paths);
  return { allowed: true, reason: null, via: path.via, group: path.groupName, expiresAt: formatTimestamp(path.expiresAt), ...detail };
}

/** The path that grants longest: a gate caches an answer until expiresAt. */
function longest(paths: readonly GrantPath[]): GrantPath {
  let best = paths[0]!;
  for (const p of paths) {
    if (best.expiresAt === null) break;
    if (p.expiresAt === null || p.expiresAt > best.expiresAt) best = p;
  }
  return best;
}
