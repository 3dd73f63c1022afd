import { CancelledError } from '../domain/errors.js';
import type { Ctx } from './context.js';

/**
 * Destructive verbs ask first whenever stdin is a terminal and --yes is not given, even with
 * stdout piped (`… | tee del.log`): the question goes to stderr, the terminal. Scripts and cron
 * (no terminal on stdin) proceed without a prompt.
 */
export async function confirmDestructive(ctx: Ctx, message: string): Promise<void> {
  if (ctx.globals().yes || !ctx.io.stdinIsTTY) return;
  if (!(await ctx.prompter.confirm(message))) throw new CancelledError('not confirmed', 'nothing was changed');
}
