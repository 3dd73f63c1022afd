import { fstatSync, writeSync } from 'node:fs';
import { ExitCode, UserError } from '../domain/errors.js';

/**
 * The process's stdout and stderr without building Node's stream objects until something needs
 * them. For a pipe, `process.stdout` is a socket (node:net and the stream machinery with it):
 * building it and `process.stderr` cost about a sixth of a short call (docs/performance.md).
 */

/**
 * Writes to fd 1 with write(2) while it takes the bytes. A non-blocking descriptor that is full
 * (EAGAIN) sends the rest through `process.stdout`, which waits for 'drain', and so does every
 * later write, in order. A reader that has gone (`| head -1`, EPIPE) ends the process with 0
 * through `exit`, which main owns; so does an error the stream reports later, with 1.
 */
export function stdoutWriter(exit: (code: number, line?: string) => never): (chunk: string) => Promise<void> | void {
  let stream: NodeJS.WriteStream | null = null;
  const viaStream = (data: string | Uint8Array): Promise<void> | void => {
    if (!stream) {
      stream = process.stdout;
      stream.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE') exit(ExitCode.ok);
        const e = outputError(err.code);
        exit(e.exitCode, `accessctl: ${e.message} (${e.hint})\n`);
      });
    }
    if (stream.write(data)) return;
    const s = stream;
    return new Promise((resolve) => s.once('drain', () => resolve()));
  };
  return (chunk) => {
    if (stream) return viaStream(chunk);
    const bytes = Buffer.from(chunk, 'utf8');
    let off = 0;
    try {
      while (off < bytes.length) off += writeSync(1, bytes, off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') exit(ExitCode.ok);
      if (code !== 'EAGAIN') throw outputError(code);
      return viaStream(bytes.subarray(off));
    }
  };
}

/** Output that could not be written (a full disk: ENOSPC) is a failure, never a silent exit 0. */
function outputError(code: string | undefined): UserError {
  return new UserError('OUTPUT', ExitCode.internal, `cannot write to stdout: ${code ?? 'write failed'}`, 'check where the output goes: a full disk?');
}

/**
 * Whether fd 1 is a terminal. Only a character device can be one: a pipe or a file is answered
 * from fstat alone, and so is Linux's /dev/null (a memory device, major number 1, like /dev/zero),
 * where cron and scripts send output; any other device asks `process.stdout`.
 */
export function stdoutIsTerminal(): boolean {
  try {
    const st = fstatSync(1);
    if (!st.isCharacterDevice()) return false;
    if (process.platform === 'linux' && ((st.rdev >> 8) & 0xfff) === 1) return false;
  } catch {
    return false;
  }
  return Boolean(process.stdout.isTTY);
}

/** How long a full pipe may keep a secret waiting (in 10 ms steps) before its delivery fails. */
const FULL_PIPE_WAITS = 3000;

/**
 * Writes all of `chunk` to fd 1 now, or throws with the errno: the delivery of a new secret,
 * on which its transaction's COMMIT depends (SPEC §5). Unlike `stdoutWriter`, a reader that has
 * gone (EPIPE) is a failure here, never exit 0; a full non-blocking pipe is waited on in place.
 */
export function writeStdoutNow(chunk: string): void {
  const bytes = Buffer.from(chunk, 'utf8');
  let off = 0;
  let waits = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(1, bytes, off);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code !== 'EAGAIN' || ++waits > FULL_PIPE_WAITS) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}
