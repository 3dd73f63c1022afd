import { fstatSync, statSync } from 'node:fs';
import { ExitCode, UserError } from '../domain/errors.js';
import type { OutputRecord, RecordKind } from '../output/fields.js';
import { render } from '../output/render.js';
import type { Ctx } from './context.js';
import { renderOptions, type Output } from './emit.js';

/**
 * Prints a new secret from inside its transaction (mutate's `deliver` step), in the format the
 * command line asked for, and returns what `emit` needs afterwards. The whole text goes out in
 * one synchronous write: if it fails (the reader has gone, a full disk), the error rolls the
 * transaction back, so a token nobody received never exists, and no key is revoked for it.
 */
export async function deliverSecret(ctx: Ctx, kind: RecordKind, records: OutputRecord[]): Promise<Output> {
  const parts: string[] = [];
  const count = await render({ write: (s) => void parts.push(s) }, kind, records, renderOptions(ctx, {}, { layout: 'object' }));
  const text = parts.join('');
  const stdout = ctx.io.stdout;
  // A stdout that was closed is reopened on /dev/null by Node at start: every write "succeeds",
  // and the token would be gone. Thrown away on purpose, it is lost just the same.
  if (stdout.writeNow && stdoutIsDevNull()) {
    throw new UserError(
      'NOT_DELIVERED',
      ExitCode.internal,
      'cannot write the token to stdout: it is closed or /dev/null, where the token would be lost; nothing was created or revoked',
      'run it again with stdout going where the token can be kept',
    );
  }
  try {
    if (stdout.writeNow) stdout.writeNow(text);
    else await stdout.write(text);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'write failed';
    const why = code === 'EPIPE' ? 'the reader has gone (EPIPE)' : code === 'ENOSPC' ? 'the disk is full (ENOSPC)' : code === 'EAGAIN' ? 'nobody reads it (EAGAIN)' : code;
    throw new UserError(
      'NOT_DELIVERED',
      ExitCode.internal,
      `cannot write the token to stdout: ${why}; nothing was created or revoked`,
      'run it again with stdout going where the token can be kept',
    );
  }
  return { kind, records: [], delivered: count };
}

function stdoutIsDevNull(): boolean {
  try {
    const out = fstatSync(1);
    const devNull = statSync('/dev/null');
    return out.isCharacterDevice() && out.rdev === devNull.rdev;
  } catch {
    return false;
  }
}
