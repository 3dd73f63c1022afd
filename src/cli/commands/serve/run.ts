import type { Socket } from 'node:net';
import { formatTimestamp } from '../../../domain/time.js';
import { prepareAccessLookups, type AccessLookups } from '../../../store/access-lookups.js';
import { openStore, type Store } from '../../../store/connection.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { answerBytes, errorAnswer, tooLarge, type Answer } from '../access/batch.js';
import { answerLines } from '../access/request-lines.js';
import { listen, removeSocket, type ListenOptions } from './listen.js';

/**
 * `accessctl serve` (SPEC section 17): section 13's protocol on a UNIX socket, for gates that run
 * as other accounts (sshd's AuthorizedKeysCommandUser, a proxy). Every connection is a batch of
 * its own; every request is answered from the store as it is when the request is read. The store
 * is opened read-only once, and opened again when its file is replaced (a restore, a mv), when
 * its schema moves, on SIGHUP, and after any failure to read it; while it cannot be opened, each
 * request is answered `UNAVAILABLE` (allowed: false), so a gate fails closed and recovers by itself.
 * docs/gates.md is the operator's side.
 */

/** Connections beyond this wait in the kernel's backlog; a gate's clients ask and hang up. */
const MAX_CONNECTIONS = 512;
/** How long open connections get to finish once SIGTERM or SIGINT arrived. */
const STOP_GRACE_MS = 2_000;

interface Opened {
  store: Store;
  lookups: AccessLookups;
  cookie: number | null;
}

export async function runServe(opts: ListenOptions, ctx: Ctx): Promise<Output> {
  const log = (line: string) => ctx.warn(`accessctl serve: ${line}`);
  if (ctx.clock.overridden) log(`ACCESSCTL_NOW is set: every answer is as of ${formatTimestamp(ctx.clock.now())}, and no grant expires while serve runs`);
  // The store is judged before the socket exists: a gate that cannot read its store never listens.
  let opened: Opened | null = open(ctx.store());
  await ctx.ready();
  const listener = await listen(opts, ctx.env);
  const where = listener.path ?? 'the socket systemd passed';
  log(`listening on ${where} (store ${opened.store.path})`);

  const reopen = async (why: string) => {
    const old = opened;
    opened = null;
    if (old === null) return;
    log(why);
    if (old.store !== ctx.store()) await old.store.close().catch(() => {});
  };
  const current = async (): Promise<Opened> => {
    if (opened !== null && opened.store.sameFile?.() === false) await reopen(`store ${opened.store.path} was replaced or removed; opening it again`);
    if (opened !== null && opened.cookie !== null && schemaCookie(opened.store) !== opened.cookie) await reopen(`the schema of store ${opened.store.path} changed; judging it again`);
    if (opened === null) {
      const store = openStore(ctx.globals().location);
      // A PostgreSQL store's schema is judged when it connects.
      await store.connect?.();
      opened = open(store);
    }
    return opened;
  };
  let failing = false;
  // Requests are answered through a context whose store is the one open now.
  const answer = async (bytes: Buffer | null): Promise<Answer> => {
    if (bytes === null) return tooLarge();
    try {
      const now = await current();
      const answered = await answerBytes(Object.create(ctx, { store: { value: () => now.store } }) as Ctx, now.lookups, bytes);
      if (failing) log(`store ${now.store.path} answers again`);
      failing = false;
      return answered;
    } catch (err) {
      // Said once per outage, not once per request.
      if (!failing) log(`cannot read the store, answering UNAVAILABLE until it can: ${err instanceof Error ? err.message : String(err)}`);
      failing = true;
      await reopen('closing the store to open it afresh');
      return errorAnswer('UNAVAILABLE', 'the gate cannot read its store');
    }
  };

  const sockets = new Set<Socket>();
  let count = 0;
  listener.server.maxConnections = MAX_CONNECTIONS;
  listener.server.on('drop', () => log(`refused a connection: ${MAX_CONNECTIONS} are open`));
  listener.server.on('connection', (socket) => {
    const id = ++count;
    let answers = 0;
    sockets.add(socket);
    socket.on('error', () => {}); // reported below, once
    const write = (text: string) => new Promise<void>((done, fail) => socket.write(text, (err) => (err ? fail(err) : done())));
    answerLines(
      socket,
      (bytes) => {
        answers++;
        return answer(bytes);
      },
      write,
    )
      .then(
        () => {
          socket.end();
          log(`connection ${id}: ${answers} ${answers === 1 ? 'answer' : 'answers'}`);
        },
        (err: NodeJS.ErrnoException) => {
          socket.destroy();
          log(`connection ${id}: ended after ${answers} ${answers === 1 ? 'answer' : 'answers'} (${err.code ?? err.message})`);
        },
      )
      .finally(() => sockets.delete(socket));
  });

  const signal = await new Promise<NodeJS.Signals>((stop) => {
    const onHup = () => void reopen('SIGHUP: opening the store again');
    process.on('SIGHUP', onHup);
    const onStop = (sig: NodeJS.Signals) => {
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      process.off('SIGHUP', onHup);
      stop(sig);
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
  });
  const closed = new Promise<void>((done) => listener.server.close(() => done()));
  for (const s of sockets) s.end();
  const grace = setTimeout(() => {
    for (const s of sockets) s.destroy();
  }, STOP_GRACE_MS);
  await closed;
  clearTimeout(grace);
  removeSocket(listener.made);
  if (opened !== null && opened.store !== ctx.store()) await opened.store.close();
  log(`stopped (${signal})`);
  return { kind: 'access', records: [], format: 'ndjson' };
}

function open(store: Store): Opened {
  return { store, lookups: prepareAccessLookups(store), cookie: schemaCookie(store) };
}

/** SQLite's schema cookie: it moves on any CREATE, DROP or ALTER. Null on PostgreSQL. */
function schemaCookie(store: Store): number | null {
  return store.sqlite ? (store.sqlite.pragma('schema_version', { simple: true }) as number) : null;
}
