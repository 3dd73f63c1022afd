import type { Clock } from '../domain/time.js';
import type { IdGenerator } from '../domain/ids.js';
import type { Format } from '../output/format.js';
import type { OutputSink } from '../output/render.js';
import type { StoreLocation } from '../store/location.js';
import type { Store } from '../store/store.js';

export interface Io {
  stdout: OutputSink;
  stderr: { write(chunk: string): void };
  stdin: NodeJS.ReadableStream;
  stdinIsTTY: boolean;
  /**
   * Reads all of stdin at once, synchronously, when it is a pipe or a file (the process's fd 0),
   * refusing more than `max` bytes; undefined where that cannot be done (a terminal, or in tests,
   * which read `stdin`).
   */
  readStdinSync?(max: number): Buffer | undefined;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** The terminal's width when stdout is one (process.stdout.columns). */
  stdoutColumns?: number | undefined;
}

export interface Prompter {
  confirm(message: string): Promise<boolean>;
  select<T extends string>(message: string, choices: ReadonlyArray<{ name: string; value: T; description?: string }>, defaultValue?: T): Promise<T>;
  input(message: string, validate?: (value: string) => string | true): Promise<string>;
  /** Like `input`, but nothing typed or pasted is echoed: for secrets. */
  password(message: string): Promise<string>;
}

export interface GlobalOptions {
  format: Format;
  quiet: boolean;
  columns: string[] | undefined;
  header: boolean;
  color: boolean;
  /** Colour in prompts (on stderr, a terminal): --no-color and NO_COLOR turn it off. */
  promptColor: boolean;
  /** Tables: every column. */
  wide: boolean;
  /** No box drawing or cursor control: TERM=dumb, or a locale that is not UTF-8. */
  ascii: boolean;
  /** Terminal columns when stdout is a terminal (COLUMNS wins); undefined when piped. */
  width: number | undefined;
  actor: string;
  yes: boolean;
  location: StoreLocation;
}

/** Every effect a command may have goes through here, so tests can swap each one. */
export interface Ctx {
  io: Io;
  env: Record<string, string | undefined>;
  clock: Clock;
  ids: IdGenerator;
  prompter: Prompter;
  /** The global options, known once argv is parsed. */
  globals(): GlobalOptions;
  /** The store, opened on first use and kept for the rest of the process. */
  store(): Store;
  /** Connects a PostgreSQL store and reads its clock; nothing for a SQLite file (opened lazily). */
  ready(): Promise<void>;
  /** Prompts for missing values only when a person is at both ends: stdin and stdout are terminals. */
  interactive(): boolean;
  /** An informational message for people, on stderr; `-q` silences it. */
  note(message: string): void;
  /** A warning that needs action, on stderr; printed even under `-q`. */
  warn(message: string): void;
}
