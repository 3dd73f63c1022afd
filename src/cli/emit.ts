import { ExitCode, type UserError } from '../domain/errors.js';
import type { OutputRecord, RecordKind } from '../output/fields.js';
import type { Format } from '../output/format.js';
import { render, type RenderOptions } from '../output/render.js';
import type { Ctx } from './context.js';

/** What a command returns: records to print, and optionally an error to raise once they are printed. */
export interface Output {
  kind: RecordKind;
  records: Iterable<OutputRecord> | AsyncIterable<OutputRecord>;
  /** A format this output always uses, whatever -f says (a checkpoint is one JSON line). */
  format?: Format | undefined;
  /** Raised after printing: `show` of a missing id prints an empty list, then exits 3. */
  after?: UserError | undefined;
  /** The records were already printed inside the transaction (a new secret, deliver.ts): how many. */
  delivered?: number | undefined;
  /** Columns a terminal's short set leaves out: they would only repeat the filter given. */
  omit?: readonly string[] | undefined;
}

export interface EmitOptions {
  layout?: 'list' | 'object' | undefined;
  limit?: number | undefined;
}

export async function emit(ctx: Ctx, output: Output, how: EmitOptions = {}): Promise<void> {
  const g = ctx.globals();
  // -q feeds scripts: a failed command or a "denied" prints nothing, so $(…) is empty.
  if (g.quiet && output.after && output.after.exitCode !== ExitCode.findings) throw output.after;
  const printed = output.delivered ?? (await render(ctx.io.stdout, output.kind, output.records, renderOptions(ctx, output, how)));
  if (printed > 0 && !g.quiet && (output.kind === 'newKey' || output.kind === 'exchangedToken')) {
    ctx.note('note: this token will not be shown again; store it now');
  }
  if (output.after) throw output.after;
}

export function renderOptions(ctx: Ctx, output: Pick<Output, 'format' | 'omit'>, how: EmitOptions): RenderOptions {
  const g = ctx.globals();
  return {
    format: output.format ?? g.format,
    quiet: g.quiet,
    columns: g.columns,
    header: g.header,
    color: g.color,
    now: ctx.clock.now(),
    width: g.width,
    wide: g.wide,
    layout: how.layout,
    limit: how.limit,
    omit: output.omit,
    ascii: g.ascii,
  };
}
