import { UsageError } from '../domain/errors.js';
import type { Ctx } from './context.js';

/**
 * A missing required value: asked for at a terminal, a usage error (exit 2) anywhere else. An
 * answer the command would refuse (`check` throws its usage error) is asked for again, with why.
 */
export async function promptMissing(ctx: Ctx, what: string, flag: string, question: string, check?: (value: string) => unknown): Promise<string> {
  if (!ctx.interactive()) throw new UsageError(`missing ${what}`, `pass ${flag}`);
  return ctx.prompter.input(question, (v) => {
    if (v.trim() === '') return `${what} is required`;
    try {
      check?.(v);
      return true;
    } catch (err) {
      if (err instanceof UsageError) return err.hint ? `${err.message} (${err.hint})` : err.message;
      throw err;
    }
  });
}
