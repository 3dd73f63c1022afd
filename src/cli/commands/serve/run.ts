import { realpathSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { dirname } from 'node:path';
import { formatTimestamp } from '../../../domain/time.js';
import { prepareAccessLookups, type AccessLookups } from '../../../store/access-lookups.js';
import { openStore } from '../../../store/open.js';
import type { Store } from '../../../store/store.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { answerBytes, errorAnswer, tooLarge, type Answer } from '../access/batch.js';
import { answerLines } from '../access/request-lines.js';
import { listen, removeSocket, socketTampered, type ListenOptions } from './listen.js';

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
/** A connection that sends nothing for this long is closed. */
const IDLE_MS = 60_000;
/** How long open connections get to finish once SIGTERM or SIGINT arrived. */
const STOP_GRACE_MS = 2_000;

interface Opened {
  store: Store;
  lookups: AccessLookups;
  cookie: string | null;
  file: string | null;
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
    const why = opened === null ? null : changed(opened);
    if (why !== null) await reopen(why);
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
  let dropped = 0;
  listener.server.on('drop', () => {
    // Said on the first refusal and every 100th after: a client hammering a full gate is one line, not thousands.
    if (dropped++ % 100 === 0) log(`refused ${dropped === 1 ? 'a connection' : `${dropped} connections`}: ${MAX_CONNECTIONS} are open`);
  });
  let tampered: string | null = null;
  listener.server.on('connection', (socket) => {
    const id = ++count;
    // A socket that is no longer the one made, or that every account may now use, is not served.
    const why = socketTampered(listener);
    if (why !== null) {
      if (why !== tampered) log(`${why}: refusing connections until it is put right (restart serve)`);
      tampered = why;
      socket.destroy();
      return;
    }
    tampered = null;
    let answers = 0;
    sockets.add(socket);
    socket.on('error', () => {}); // reported below, once
    // A connection that sends nothing for this long is closed: idle clients cannot fill the gate.
    socket.setTimeout(IDLE_MS, () => socket.destroy(Object.assign(new Error('idle'), { code: `idle for ${IDLE_MS / 1000} s` })));
    const write = (text: string) =>
      new Promise<void>((done, fail) => {
        // Stopping: the answers of a line that came after the stop are not written.
        if (!socket.writable) return done();
        socket.write(text, (err) => {
          if (err) return fail(err);
          for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) answers++;
          done();
        });
      });
    const said = () => `${answers} ${answers === 1 ? 'answer' : 'answers'}`;
    // Not destroyed at the end of input: the answer to a last line without its newline still goes out.
    answerLines(socket.iterator({ destroyOnReturn: false }), answer, write)
      .then(
        () => {
          socket.end();
          log(`connection ${id}: ${said()}`);
        },
        (err: NodeJS.ErrnoException) => {
          socket.destroy();
          log(`connection ${id}: ended after ${said()} (${err.code ?? err.message})`);
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
  return { store, lookups: prepareAccessLookups(store), cookie: schemaCookie(store), file: fileFacts(store) };
}

/**
 * What makes the open store no longer the one judged at open, in words for the log; null when
 * nothing did. Any of these opens it again, with every check an open makes: the file replaced
 * or removed, its or its directory's owner or mode changed (a store others may now write is
 * refused, as a fresh command would refuse it), its schema or schema version changed.
 */
function changed(o: Opened): string | null {
  if (o.store.sameFile?.() === false) return `store ${o.store.path} was replaced or removed; opening it again`;
  if (o.file !== null && fileFacts(o.store) !== o.file) return `the owner or mode of store ${o.store.path} or its directory changed; judging it again`;
  if (o.cookie !== null && schemaCookie(o.store) !== o.cookie) return `the schema of store ${o.store.path} changed; judging it again`;
  return null;
}

/** SQLite's schema cookie (it moves on any CREATE, DROP or ALTER), schema version and application id. Null on PostgreSQL. */
function schemaCookie(store: Store): string | null {
  const db = store.sqlite;
  if (!db) return null;
  const get = (pragma: string) => db.pragma(pragma, { simple: true }) as number;
  return `${get('schema_version')}:${get('user_version')}:${get('application_id')}`;
}

/** The owner and mode of a SQLite store's file and directory. Null on PostgreSQL. */
function fileFacts(store: Store): string | null {
  if (!store.sqlite) return null;
  try {
    const file = realpathSync(store.path);
    const f = statSync(file);
    const d = statSync(dirname(file));
    return `${f.uid}:${f.gid}:${f.mode}:${d.uid}:${d.gid}:${d.mode}`;
  } catch {
    return 'gone';
  }
}
