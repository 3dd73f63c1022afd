import { CancelledError } from '../domain/errors.js';
import type { Ctx } from './context.js';

/**
 * Destructive verbs ask first, but only with a person at the terminal and no --yes.
 * Scripts and cron (no terminal) proceed without a prompt.
 */
export async function confirmDestructive(ctx: Ctx, message: string): Promise<void> {
  if (ctx.globals().yes || !ctx.interactive()) return;
  if (!(await ctx.prompter.confirm(message))) throw new CancelledError('not confirmed', 'nothing was changed');
}
