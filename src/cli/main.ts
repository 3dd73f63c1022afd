import { fstatSync, readSync } from 'node:fs';
import { CommanderError } from 'commander';
import { randomIds } from '../domain/ids.js';
import { ExitCode, StoreError, UsageError, UserError } from '../domain/errors.js';
import { clockFromEnv } from '../domain/time.js';
import { translateSqliteError } from '../store/sqlite/errors.js';
import { translatePgError } from '../store/postgres/errors.js';
import { runningAs } from '../store/permission.js';
import { createContext, type ContextParts } from './create-context.js';
import { commandWordIndex, createProgram } from './program.js';
import { stdoutIsTerminal, stdoutWriter, writeStdoutNow } from './stdio.js';
import { usageMessage } from './usage-message.js';

/** Runs one command line and returns its exit code. Owns every mapping from failure to exit code. */
export async function run(argv: readonly string[], parts: ContextParts): Promise<number> {
  const ctx = createContext(parts);
  try {
    const line = bareAsHelp(helpAsFlag(argv));
    const program = createProgram(ctx, line);
    await program.parseAsync(line, { from: 'user' });
    return ExitCode.ok;
  } catch (err) {
    return report(err, ctx, argv);
  } finally {
    await ctx.close().catch(() => {});
  }
}

function report(err: unknown, ctx: ReturnType<typeof createContext>, argv: readonly string[]): number {
  const e = normalise(err, ctx.storePath());
  if (e instanceof CommanderError) {
    if (e.exitCode === 0) return 0; // --help, --version
    if (e.code === 'commander.help') {
      const usage = /Usage: (accessctl(?: [a-z-]+)*)/.exec(ctx.heldHelp())?.[1] ?? 'accessctl';
      writeError(ctx, argv, 'USAGE', `missing command after "${usage}"`, `run "${usage} --help" to see the choices`, ExitCode.usage);
      return ExitCode.usage;
    }
    const { message, hint } = usageMessage(e);
    writeError(ctx, argv, 'USAGE', message, hint, ExitCode.usage);
    return ExitCode.usage;
  }
  if (e instanceof UserError) {
    writeError(ctx, argv, e.code, e.message, e.hint, e.exitCode);
    return e.exitCode;
  }
  const message = e instanceof Error ? e.message : String(e);
  writeError(ctx, argv, 'INTERNAL', `unexpected error: ${message}`, 'set ACCESSCTL_DEBUG=1 for details', ExitCode.internal);
  if (parts_debug(ctx) && e instanceof Error && e.stack) ctx.io.stderr.write(`${e.stack}\n`);
  return ExitCode.internal;
}

/** `accessctl` alone (global options at most) prints the help, as gh, kubectl and terraform do. */
function bareAsHelp(argv: string[]): string[] {
  if (commandWordIndex(argv) < argv.length || argv.some((a) => /^(-h|--help|-V|--version)$/.test(a))) return argv;
  return [...argv, '--help'];
}

/** `accessctl help group create` is `accessctl group create --help`. */
export function helpAsFlag(argv: readonly string[]): string[] {
  const i = commandWordIndex(argv);
  if (argv[i] !== 'help' || i + 1 >= argv.length) return [...argv];
  return [...argv.slice(0, i), ...argv.slice(i + 1), '--help'];
}

function parts_debug(ctx: ReturnType<typeof createContext>): boolean {
  return ctx.env.ACCESSCTL_DEBUG === '1';
}

function normalise(err: unknown, storePath: string | null): unknown {
  const translated = translateSqliteError(err, storePath ?? 'store');
  if (translated !== err) return translated;
  const code = (err as { code?: string }).code ?? '';
  // The network's words (ENOENT for a missing Unix socket) are PostgreSQL's only for a postgres:// store.
  if (storePath === null || /^postgres(ql)?:\/\//.test(storePath)) {
    const fromPg = translatePgError(err, storePath ?? 'store');
    if (fromPg !== err) return fromPg;
  }
  const file = (err as { path?: unknown }).path;
  if (typeof file === 'string' && (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM')) {
    const why = code === 'ENOENT' ? 'it is missing' : `permission denied, running as ${runningAs()}`;
    return new StoreError(`cannot open ${file}: ${why} (${code})`, 'check that it and its directory exist and that this account may read them');
  }
  if (code === 'EPIPE') return new UserError('EPIPE', ExitCode.ok, 'output closed');
  return err;
}

function writeError(ctx: ReturnType<typeof createContext>, argv: readonly string[], code: string, message: string, hint: string | undefined, exitCode: number): void {
  if (code === 'EPIPE') return;
  // One line, and no echo of a huge argument: a long run of text is cut to its start.
  const oneLine = (s: string) =>
    s
      .replace(/\s*\n\s*/g, ' ')
      .replace(TOKEN_LIKE, (_m, prefix: string) => `${prefix}_…(redacted)`)
      .replace(/\S{81,}/g, (w) => `${w.slice(0, 60)}…`)
      .trim();
  if (wantsJsonErrors(ctx.knownFormat(), argv, ctx.env)) {
    ctx.io.stderr.write(`${JSON.stringify({ error: { code, exitCode, message: oneLine(message), hint: hint ?? null } })}\n`);
  } else {
    ctx.io.stderr.write(`accessctl: ${oneLine(message)}${hint ? ` (${oneLine(hint)})` : ''}\n`);
  }
  if (ctx.env.ACCESSCTL_DEBUG === '1' && exitCode !== ExitCode.internal) {
    ctx.io.stderr.write(`${new Error('debug trace').stack}\n`);
  }
}

/** A secret typed where it does not belong is never echoed back (terminals and CI logs keep stderr). */
const TOKEN_LIKE = /\b(ack|act)_[0-9A-Za-z]{8,}/g;

/** JSON errors for `-f json|ndjson`, even when argv could not be parsed far enough to know it. */
function wantsJsonErrors(known: string | null, argv: readonly string[], env: Record<string, string | undefined>): boolean {
  if (known) return known === 'json' || known === 'ndjson';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = a === '-f' || a === '--format' ? argv[i + 1] : a.startsWith('--format=') ? a.slice(9) : a.startsWith('-f') && a.length > 2 ? a.slice(2) : undefined;
    if (value !== undefined) return /^(nd)?json$/i.test(value);
  }
  return /^(nd)?json$/i.test(env.ACCESSCTL_FORMAT ?? '');
}

/** The process entry: real streams, real clock, real randomness. */
export async function main(argv: readonly string[]): Promise<void> {
  // Node ends a process whose event loop has nothing left to wait on with exit 0, even while a
  // command's promise is still pending (a query that will never be answered): that is not success.
  process.once('exit', (code) => {
    if (!settled && code === 0) {
      process.stderr.write('accessctl: internal error: the command stopped before it finished (what it had not committed was not written; please report it)\n');
      process.exitCode = ExitCode.internal;
    }
  });
  const writeStdout = stdoutWriter(exitNow);
  let stdoutIsTTY: boolean | undefined;
  const code = await run(argv, {
    io: {
      stdout: { write: writeStdout, writeNow: writeStdoutNow },
      // process.stderr, like process.stdin, is built on first use (stdio.ts).
      stderr: { write: (chunk) => void process.stderr.write(chunk) },
      // process.stdin is built on first use (for a pipe, a socket, and node:net with it): only a
      // command that reads stdin pays for it.
      get stdin() {
        // Node reads a directory on fd 0 as an empty stream: say so instead of answering nothing.
        if (stdinIsDirectory()) throw new UsageError('stdin is a directory', 'redirect a file or a pipe into accessctl');
        return process.stdin;
      },
      get stdinIsTTY() {
        return Boolean(process.stdin.isTTY);
      },
      readStdinSync,
      get stdoutIsTTY() {
        return (stdoutIsTTY ??= stdoutIsTerminal());
      },
      get stderrIsTTY() {
        return Boolean(process.stderr.isTTY);
      },
      get stdoutColumns() {
        return process.stdout.columns;
      },
    },
    env: process.env,
    clock: clockFromEnvSafe(argv),
    databaseClock: !process.env.ACCESSCTL_NOW,
    ids: randomIds(),
  });
  settled = true;
  process.exitCode = code;
}

/** Whether the command ran to its end (main) or was ended on purpose (exitNow). */
let settled = false;

/** Ends the process at once (the reader of stdout has gone, or stdout failed), after one line. */
function exitNow(code: number, line?: string): never {
  settled = true;
  if (line !== undefined) process.stderr.write(line);
  process.exit(code);
}

function stdinIsDirectory(): boolean {
  try {
    return fstatSync(0).isDirectory();
  } catch {
    return false;
  }
}

/** All of fd 0 when it is a pipe or a file; undefined for anything else (a terminal, /dev/null's kin). */
function readStdinSync(max: number): Buffer | undefined {
  let stat;
  try {
    stat = fstatSync(0);
  } catch {
    return undefined;
  }
  if (!stat.isFIFO() && !stat.isFile()) return undefined;
  const parts: Buffer[] = [];
  let size = 0;
  for (;;) {
    const buf = Buffer.allocUnsafe(Math.min(65_536, max + 1 - size));
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (err) {
      // A non-blocking pipe with nothing yet: the caller reads the stream instead.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' && size === 0) return undefined;
      if (code === 'EOF') break;
      if (code !== 'EAGAIN') throw err;
      // Part of it came, the rest is on its way: wait a moment without spinning.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      continue;
    }
    if (n === 0) break;
    parts.push(buf.subarray(0, n));
    size += n;
    if (size > max) break;
  }
  return Buffer.concat(parts);
}

function clockFromEnvSafe(argv: readonly string[]) {
  try {
    return clockFromEnv(process.env, () => Date.now());
  } catch (err) {
    const e = err as UserError;
    const line = wantsJsonErrors(null, argv, process.env)
      ? JSON.stringify({ error: { code: e.code, exitCode: ExitCode.usage, message: e.message, hint: e.hint ?? null } })
      : `accessctl: ${e.message}${e.hint ? ` (${e.hint})` : ''}`;
    process.stderr.write(`${line}\n`);
    process.exit(ExitCode.usage);
  }
}

export { randomIds } from '../domain/ids.js';
