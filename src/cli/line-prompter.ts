import type { Io, Prompter } from './context.js';
import { TerminalLines } from './terminal-lines.js';

/**
 * Prompts as plain lines, for a terminal that cannot move the cursor (TERM=dumb: Emacs shell
 * buffers, serial consoles) or a stderr that is not a terminal: every question is written once,
 * choices are numbered and picked by typing a line, and nothing but text and newlines is
 * written (no cursor control, no colour). A wrong answer is said and asked again.
 */
export function linePrompter(io: Io): Prompter {
  let lines: TerminalLines | null = null;
  const reader = () => (lines ??= new TerminalLines(io.stdin));
  const say = (text: string) => io.stderr.write(text);
  const ask = async <T>(question: string, answer: (line: string) => { value: T } | { retry: string }): Promise<T> => {
    for (;;) {
      say(question);
      let line: string;
      try {
        line = await reader().line();
      } catch (err) {
        // Ctrl+C or Ctrl+D left the cursor after the question: the message that follows gets its own line.
        say('\n');
        throw err;
      }
      const outcome = answer(line.trim());
      if ('value' in outcome) return outcome.value;
      say(`${outcome.retry}\n`);
    }
  };
  return {
    confirm: (message) =>
      ask<boolean>(`${message} [y/N] `, (line) => {
        if (/^(y|yes)$/i.test(line)) return { value: true };
        if (line === '' || /^(n|no)$/i.test(line)) return { value: false };
        return { retry: 'Answer y or n.' };
      }),
    select: (message, choices, defaultValue) => {
      const fallback = choices.findIndex((c) => c.value === defaultValue);
      const menu = choices.map((c, i) => `  ${i + 1}) ${c.name}${c.description ? ` - ${c.description}` : ''}\n`).join('');
      say(`${message}\n${menu}`);
      const range = choices.length === 1 ? '1' : `1-${choices.length}`;
      return ask<(typeof choices)[number]['value']>(`Type a number (${range})${fallback >= 0 ? `, or Enter for ${fallback + 1}` : ''}: `, (line) => {
        if (line === '' && fallback >= 0) return { value: choices[fallback]!.value };
        const n = /^\d+$/.test(line) ? Number(line) : NaN;
        const picked = choices[n - 1] ?? choices.find((c) => c.name.toLowerCase() === line.toLowerCase());
        return picked ? { value: picked.value } : { retry: `No choice ${line === '' ? 'made' : `"${line}"`}: type a number from ${range.replace('-', ' to ')}.` };
      });
    },
    input: (message, validate) =>
      ask<string>(`${message}: `, (line) => {
        const verdict = validate ? validate(line) : true;
        return verdict === true ? { value: line } : { retry: verdict };
      }),
    password: async (message) => {
      say(`${message} `);
      try {
        return await reader().secret();
      } finally {
        // Enter was not echoed: end the prompt's line so what follows starts on its own.
        say('\n');
      }
    },
  };
}
