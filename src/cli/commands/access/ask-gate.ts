import { lstatSync } from 'node:fs';
import { createConnection } from 'node:net';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { DeniedError, NotFoundError, StoreError, UsageError } from '../../../domain/errors.js';
import { assertIdShape } from '../../../domain/ids.js';
import type { OutputRecord } from '../../../output/fields.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { readToken } from '../key/authenticate.js';
import { checkSocketDir } from '../serve/listen.js';
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
  parseRequest(opts.protocol, opts.port); // a bad --port or --protocol is exit 2 here, in the local words
  const token = opts.token ? await readToken(ctx, opts.token) : undefined;
  const request = {
    ...(opts.user !== undefined ? { user: opts.user } : opts.service !== undefined ? { service: opts.service } : { token }),
    resource: opts.resource,
    ...(opts.protocol === undefined ? {} : { protocol: opts.protocol }),
    ...(opts.port === undefined ? {} : { port: opts.port }),
    detail: true,
  };
  const answer = await ask(resolve(socket), `${JSON.stringify(request)}\n`);
  if (answer.error !== undefined) throw answerError(answer, opts, socket);
  return {
    kind: 'accessCheck',
    records: (answer.records ?? []) as OutputRecord[],
    after: answer.allowed ? undefined : new DeniedError(`access denied: ${answer.reason}`),
    omit: checkOmits(answer.allowed),
  };
}

function answerError(answer: Answer, opts: AccessCheckOptions, socket: string): Error {
  const { code, message } = answer.error!;
  const kind = /\b(user|service|resource)\b/.exec(message)?.[1] as keyof typeof NOT_FOUND_HINTS | undefined;
  const ref = kind === undefined ? undefined : kind === 'resource' ? opts.resource : opts[kind];
  if ((code === 'NOT_FOUND' || code === 'USAGE') && kind !== undefined && ref !== undefined) {
    if (code === 'USAGE') assertIdShape(kind, ref);
    return new NotFoundError(`${kind} ${JSON.stringify(ref.slice(0, 80))} not found`, NOT_FOUND_HINTS[kind]);
  }
  if (code === 'UNAVAILABLE') return new StoreError(`the gate on ${socket} cannot read its store`, 'see the gate\'s log (journalctl -u accessctl-gate)');
  return new UsageError(`the gate on ${socket} refused the request: ${message}`);
}

/** One request, one answer line; every way of not getting one is exit 6. */
function ask(path: string, line: string): Promise<Answer> {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined) throw down(path, 'no such socket');
  if (!st.isSocket()) throw new StoreError(`${path} is not a socket`, 'pass the path accessctl serve --socket listens on');
  checkSocketDir(path, 'ask');
  if ((st.mode & 0o002) !== 0) throw new StoreError(`socket ${path} is writable by every account (mode ${(st.mode & 0o777).toString(8)})`, 'a gate made by accessctl serve is at most 0660; do not trust this one');
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
      if (nl === -1) return;
      try {
        finish(JSON.parse(got.slice(0, nl)) as Answer);
      } catch {
        finish(down(path, 'its answer is not JSON'));
      }
    });
    conn.once('end', () => finish(down(path, 'it hung up without answering')));
    conn.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EACCES') finish(new StoreError(`not allowed to ask the gate on ${path}: permission denied (running as ${account()})`, "add this account to the socket's group (accessctl serve --socket-group)"));
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
