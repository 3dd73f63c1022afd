import { ExitCode, type UserError } from '../domain/errors.js';
import type { OutputRecord, RecordKind } from '../output/fields.js';
import type { Format } from '../output/format.js';
import { render } from '../output/render.js';
import type { Ctx } from './context.js';

/** What a command returns: records to print, and optionally an error to raise once they are printed. */
export interface Output {
  kind: RecordKind;
  records: Iterable<OutputRecord> | AsyncIterable<OutputRecord>;
  /** A format this output always uses, whatever -f says (a checkpoint is one JSON line). */
  format?: Format | undefined;
  /** Raised after printing: `show` of a missing id prints an empty list, then exits 3. */
  after?: UserError | undefined;
}

export async function emit(ctx: Ctx, output: Output): Promise<void> {
  const g = ctx.globals();
  // `-q` prints nothing when the answer is "denied" (SPEC section 7): a script that reads ids
  // from stdout must never act on the id of a resource it was refused.
  if (g.quiet && output.after?.exitCode === ExitCode.denied) throw output.after;
  await render(ctx.io.stdout, output.kind, output.records, {
    format: output.format ?? g.format,
    quiet: g.quiet,
    columns: g.columns,
    header: g.header,
    color: g.color,
    now: ctx.clock.now(),
  });
  if (output.after) throw output.after;
}
