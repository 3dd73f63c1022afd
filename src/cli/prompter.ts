import { CancelledError } from '../domain/errors.js';
import type { Io, Prompter } from './context.js';
import { linePrompter } from './line-prompter.js';

/**
 * The prompts for this terminal, chosen when the first question is asked: inquirer's, which move
 * the cursor, where stderr is a terminal that can; plain line prompts on TERM=dumb or when stderr
 * is not a terminal (`2>log`), where cursor control would be noise.
 */
export function terminalPrompter(io: Io, env: Record<string, string | undefined>, colour: () => boolean): Prompter {
  let chosen: Prompter | null = null;
  const pick = () => (chosen ??= env.TERM === 'dumb' || !io.stderrIsTTY ? linePrompter(io) : inquirerPrompter(io, colour));
  return {
    confirm: (message) => pick().confirm(message),
    select: (message, choices, defaultValue) => pick().select(message, choices, defaultValue),
    input: (message, validate) => pick().input(message, validate),
    password: (message) => pick().password(message),
  };
}

/**
 * inquirer's own colours without the colour: it honours NO_COLOR and TERM=dumb by itself, and
 * this theme honours --no-color as well.
 */
const same = (text: string) => text;
const COLOURLESS = {
  prefix: { idle: '?', done: '✔' },
  style: {
    answer: same,
    message: same,
    error: (text: string) => `> ${text}`,
    defaultAnswer: (text: string) => `(${text})`,
    help: same,
    highlight: same,
    key: (text: string) => `<${text}>`,
    description: same,
    disabled: (text: string) => `- ${text}`,
    keysHelpTip: (keys: Array<[key: string, action: string]>) => keys.map(([key, action]) => `${key} ${action}`).join(' • '),
  },
};

/** @inquirer/prompts, loaded only when a prompt is really shown. Ctrl+C becomes exit 130. */
export function inquirerPrompter(io: Io, colour: () => boolean = () => true): Prompter {
  const streams = () => ({ input: io.stdin, output: process.stderr });
  const theme = () => (colour() ? {} : { theme: COLOURLESS });
  const cancellable = async <T>(ask: () => Promise<T>): Promise<T> => {
    try {
      return await ask();
    } catch (err) {
      if ((err as Error).name === 'ExitPromptError' || (err as Error).name === 'AbortPromptError') {
        throw new CancelledError('cancelled at the prompt', 'nothing was changed');
      }
      throw err;
    }
  };
  return {
    // inquirer's own confirm takes any answer not starting with y for no ("sure" cancels): an
    // answer that is neither yes nor no is asked again, as the plain line prompts do.
    confirm: (message) =>
      cancellable(async () => {
        const { input } = await import('@inquirer/prompts');
        const yes = (text: string) => /^(y|yes)$/i.test(text.trim());
        const answer = await input(
          {
            message: `${message} (y/N)`,
            validate: (text) => yes(text) || /^(n|no)?$/i.test(text.trim()) || 'Answer y or n.',
            transformer: (text, { isFinal }) => (isFinal ? (yes(text) ? 'Yes' : 'No') : text),
            theme: { ...(colour() ? {} : COLOURLESS), validationFailureMode: 'clear' as const },
          },
          streams(),
        );
        return yes(answer);
      }),
    select: (message, choices, defaultValue) =>
      cancellable(async () => {
        const { select } = await import('@inquirer/prompts');
        return select({ message, choices: [...choices], ...(defaultValue === undefined ? {} : { default: defaultValue }), ...theme() }, streams());
      }),
    input: (message, validate) =>
      cancellable(async () => {
        const { input } = await import('@inquirer/prompts');
        return input({ message, ...(validate ? { validate } : {}), ...theme() }, streams());
      }),
    password: (message) =>
      cancellable(async () => {
        const { password } = await import('@inquirer/prompts');
        // No mask: not even the length of the secret shows on the screen.
        return password({ message, ...theme() }, streams());
      }),
  };
}
