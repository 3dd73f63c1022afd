import { lstatSync } from 'node:fs';
import { createConnection } from 'node:net';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { DeniedError, NotFoundError, StoreError, UsageError } from '../../../domain/errors.js';
import { MAX_REQUEST_BYTES } from './request-lines.js';
import { assertIdShape } from '../../../domain/ids.js';
import type { OutputRecord } from '../../../output/fields.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { readToken } from '../key/authenticate.js';
import { checkSocketDir, checkSocketFile } from '../serve/socket-safety.js';
import type { Answer } from './batch.js';
import { checkOmits, parseRequest, type AccessCheckOptions } from './run.js';

/**
 * `access check --socket PATH` (SPEC section 17): the same question and the same answer as a local
 * `access check` (output and exit codes: 0 allowed, 5 denied, 3 unknown), asked of a running
 * `accessctl serve` instead of the store, which this account need not be able to read. When no
 * gate answers, or the one that does cannot read its store, it is exit 6: a gate script that runs
 * this fails closed.
 */

/** A gate that accepted the connection and says nothing for this long is taken to be down. */
export const GATE_ANSWER_TIMEOUT_MS = 10_000;

const NOT_FOUND_HINTS = {
  user: 'pass a user id (usr_…) or email; see accessctl user list',
  service: 'pass a service id (svc_…) or name; see accessctl service list',
  resource: 'pass a resource id (res_…) or name; see accessctl resource list',
} as const;

export async function askGateCheck(socket: string, opts: AccessCheckOptions, ctx: Ctx): Promise<Output> {
  const given = [opts.user, opts.service, opts.token].filter((x) => x !== undefined).length;
  if (given !== 1) throw new UsageError('say who is asking: exactly one of --user, --service or --token-stdin/--token-file');
  if (ctx.clock.overridden) throw new UsageError('ACCESSCTL_NOW cannot move a running gate\'s clock: --socket asks about now', 'unset ACCESSCTL_NOW, or ask the store itself without --socket');
  // A bad --port or --protocol is exit 2 here, in the local words; the gate gets them as parsed.
  const parsed = parseRequest(opts.protocol, opts.port);
  const token = opts.token ? await readToken(ctx, opts.token) : undefined;
  // A reference no store can hold is answered as the store would answer it, without asking.
  for (const [kind, ref] of [['resource', opts.resource], ['user', opts.user], ['service', opts.service]] as const) {
    if (ref !== undefined && (ref === '' || Buffer.byteLength(ref) > MAX_REQUEST_BYTES / 2)) throw notFound(kind, ref);
  }
  const request = {
    ...(opts.user !== undefined ? { user: opts.user } : opts.service !== undefined ? { service: opts.service } : { token }),
    resource: opts.resource,
    ...(parsed.protocol === undefined ? {} : { protocol: parsed.protocol }),
    ...(parsed.port === undefined ? {} : { port: parsed.port }),
    detail: true,
  };
  const answer = await ask(resolve(socket), `${JSON.stringify(request)}\n`);
  if (answer.error !== undefined) throw answerError(answer, opts, socket);
  return {
    kind: 'accessCheck',
    records: answer.records as OutputRecord[],
    after: answer.allowed === true ? undefined : new DeniedError(`access denied: ${answer.reason ?? ''}`),
    omit: checkOmits(answer.allowed === true, opts.token === undefined),
  };
}

function notFound(kind: keyof typeof NOT_FOUND_HINTS, ref: string): Error {
  assertIdShape(kind, ref); // a malformed id is exit 2, as locally
  return new NotFoundError(`${kind} ${JSON.stringify(ref.slice(0, 80))} not found`, NOT_FOUND_HINTS[kind]);
}

function answerError(answer: Answer, opts: AccessCheckOptions, socket: string): Error {
  const { code, message } = answer.error!;
  const kind = /\b(user|service|resource)\b/.exec(message)?.[1] as keyof typeof NOT_FOUND_HINTS | undefined;
  const ref = kind === undefined ? undefined : kind === 'resource' ? opts.resource : opts[kind];
  if ((code === 'NOT_FOUND' || code === 'USAGE') && kind !== undefined && ref !== undefined) return notFound(kind, ref);
  if (code === 'UNAVAILABLE') return new StoreError(`the gate on ${socket} cannot read its store`, "see the gate's log");
  return new UsageError(`the gate on ${socket} refused the request: ${printable(message)}`);
}

/** Largest answer line accepted: the rows of one check, with room to spare. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * Only an answer shaped as `accessctl serve` gives it counts; anything else (a string "true", a
 * bare {"allowed":true}, control characters meant for the terminal) is no answer at all.
 */
function validAnswer(value: unknown): value is Answer {
  if (value === null || typeof value !== 'object') return false;
  const a = value as Record<string, unknown>;
  if (a.error !== undefined) {
    const e = a.error as Record<string, unknown> | null;
    return a.allowed === false && e !== null && typeof e === 'object' && typeof e.code === 'string' && typeof e.message === 'string';
  }
  if (typeof a.allowed !== 'boolean' || !(a.reason === null || typeof a.reason === 'string') || !Array.isArray(a.records)) return false;
  if (a.allowed && a.records.length === 0) return false;
  return a.records.every((r) => r !== null && typeof r === 'object' && (r as { allowed?: unknown }).allowed === a.allowed);
}

/** Control characters shown as escapes: nothing a gate sends can drive the terminal. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One request, one answer line; every way of not getting one is exit 6. */
function ask(path: string, line: string): Promise<Answer> {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined) throw down(path, 'no such socket');
  checkSocketFile(path, 'ask');
  checkSocketDir(path, 'ask');
  return new Promise((done, fail) => {
    const conn = createConnection(path);
    let got = '';
    const timer = setTimeout(() => {
      conn.destroy();
      fail(down(path, `no answer within ${GATE_ANSWER_TIMEOUT_MS / 1000} s`));
    }, GATE_ANSWER_TIMEOUT_MS);
    const finish = (result: Answer | Error) => {
      clearTimeout(timer);
      conn.destroy();
      if (result instanceof Error) fail(result);
      else done(result);
    };
    conn.setEncoding('utf8');
    conn.once('connect', () => conn.end(line));
    conn.on('data', (chunk: string) => {
      got += chunk;
      const nl = got.indexOf('\n');
      if (nl === -1) {
        if (got.length > MAX_ANSWER_BYTES) finish(down(path, 'its answer is too large'));
        return;
      }
      let value: unknown;
      try {
        value = JSON.parse(got.slice(0, nl));
      } catch {
        value = undefined;
      }
      finish(validAnswer(value) ? value : down(path, 'its answer is not one accessctl serve gives'));
    });
    conn.once('end', () => finish(down(path, 'it hung up without answering')));
    conn.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EACCES') finish(new StoreError(`not allowed to ask the gate on ${path}: permission denied (running as ${account()})`, "add this account to the socket's group (accessctl serve --socket-group)"));
      else if (err.code === 'EPIPE' || err.code === 'ECONNRESET') finish(down(path, `it closed the connection (${err.code}): is it refusing connections, too many open?`));
      else finish(down(path, err.code ?? err.message));
    });
  });
}

function down(path: string, why: string): StoreError {
  return new StoreError(`no gate answers on ${path} (${why})`, 'is accessctl serve running? see docs/gates.md');
}

function account(): string {
  const uid = process.getuid?.() ?? -1;
  try {
    return `${userInfo().username} (uid ${uid})`;
  } catch {
    return `uid ${uid}`;
  }
}
