import type { IdGenerator } from '../domain/ids.js';
import type { Clock } from '../domain/time.js';
import type { Format } from '../output/format.js';
import { clockOverrideRefused, sqliteAllowsOverride } from '../store/clock-guard.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import type { Ctx, GlobalOptions, Io, Prompter } from './context.js';
import { terminalPrompter } from './prompter.js';

export interface ContextParts {
  io: Io;
  env: Record<string, string | undefined>;
  clock: Clock;
  ids: IdGenerator;
  prompter?: Prompter;
  /**
   * The process entry's clock is the wall clock: with a PostgreSQL store the server's clock
   * replaces it, so hosts with skewed clocks agree. It is read once, when the command connects,
   * and carried forward by this machine's monotonic clock: every later "now" (each request of a
   * batch) is the server's time then, without a round trip per request, and unaffected by a
   * step of this machine's wall clock. Tests inject a clock and leave this unset.
   */
  databaseClock?: boolean;
}

export interface ContextControl extends Ctx {
  setGlobals(globals: GlobalOptions): void;
  knownFormat(): Format | null;
  storePath(): string | null;
  close(): Promise<void>;
  /** Help text commander wanted on stderr (a noun without a verb). */
  holdHelp(text: string): void;
  heldHelp(): string;
}

export function createContext(parts: ContextParts): ContextControl {
  let globals: GlobalOptions | null = null;
  let store: Store | null = null;
  let held = '';
  let server: { now: number; readAt: number } | null = null;
  const prompter = parts.prompter ?? terminalPrompter(parts.io, parts.env, () => globals?.promptColor ?? true);
  // An override (ACCESSCTL_NOW) stays a what-if on either dialect.
  const clock: Clock = {
    overridden: parts.clock.overridden,
    now: () => (server !== null && parts.databaseClock && !parts.clock.overridden ? server.now + Math.floor(performance.now() - server.readAt) : parts.clock.now()),
  };
  return {
    io: parts.io,
    env: parts.env,
    clock,
    ids: parts.ids,
    prompter,
    globals() {
      if (!globals) throw new Error('global options read before argv was parsed');
      return globals;
    },
    setGlobals(g) {
      globals = g;
    },
    knownFormat: () => globals?.format ?? null,
    storePath: () => store?.path ?? globals?.location.path ?? null,
    store() {
      store ??= openStore(this.globals().location, {
        // A new store refuses clock overrides, so creating one under an override could only fail later.
        beforeCreate: () => {
          if (parts.clock.overridden) throw clockOverrideRefused(parts.clock.now());
        },
        // Migrating an older store is a write: under an override, only a store that opted in.
        beforeMigrate: (sqlite) => {
          if (parts.clock.overridden && !sqliteAllowsOverride(sqlite)) throw clockOverrideRefused(parts.clock.now());
        },
      });
      return store;
    },
    async ready() {
      if (this.globals().location.url === undefined || server !== null) return;
      const opened = this.store();
      if (opened.connect) {
        const read = await opened.connect();
        server = { now: read.serverNow, readAt: read.readAt };
      }
    },
    interactive: () => parts.io.stdinIsTTY && parts.io.stdoutIsTTY,
    // -q is for scripts and cron: "already exists" or "created store" would be mailed every run.
    note: (message) => void (globals?.quiet || parts.io.stderr.write(`${message}\n`)),
    warn: (message) => parts.io.stderr.write(`${message}\n`),
    holdHelp: (text) => void (held += text),
    heldHelp: () => held,
    async close() {
      if (store) {
        const closing = store;
        store = null;
        await closing.close();
      }
    },
  };
}
