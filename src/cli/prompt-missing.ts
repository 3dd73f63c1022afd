import { UsageError } from '../domain/errors.js';
import type { Ctx } from './context.js';

/** A missing required value: asked for at a terminal, a usage error (exit 2) anywhere else. */
export async function promptMissing(ctx: Ctx, what: string, flag: string, question: string): Promise<string> {
  if (!ctx.interactive()) throw new UsageError(`missing ${what}`, `pass ${flag}`);
  return ctx.prompter.input(question, (v) => (v.trim() === '' ? `${what} is required` : true));
}
