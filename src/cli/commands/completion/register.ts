import { resolve } from 'node:path';
import { Argument, type Command } from 'commander';
import type { Ctx } from '../../context.js';
import { addVerb } from '../../verb.js';
import { objectNames } from './names.js';
import { bashScript, fishScript, zshScript } from './script.js';
import { position } from './tree.js';

/** The hidden verb the completion scripts call: `accessctl __complete -- WORDS… CURRENT`. */
export const COMPLETE_VERB = '__complete';

/** `accessctl completion bash|zsh|fish`: a script that asks the live command tree at each TAB. */
export function registerCompletion(program: Command, ctx: Ctx): void {
  addVerb(program, 'completion', {
    description: 'print a shell completion script (bash, zsh or fish)',
    examples: ['source <(accessctl completion bash)   # in ~/.bashrc', 'accessctl completion zsh > "${fpath[1]}/_accessctl"', 'accessctl completion fish > ~/.config/fish/completions/accessctl.fish'],
  })
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .action(async (shell: string) => {
      // The program that prints the script, for a shell that has no accessctl on PATH.
      const self = resolve(process.argv[1] ?? 'accessctl');
      const script = shell === 'bash' ? bashScript(self) : shell === 'zsh' ? zshScript(self) : fishScript(self);
      await ctx.io.stdout.write(script);
    });

  // One line saying what the word may be (`words` or `files`), then the candidates, one a line.
  program
    .command(COMPLETE_VERB, { hidden: true })
    .description('candidates for the word under the cursor (used by the completion scripts)')
    .argument('[words...]')
    .allowUnknownOption()
    .action(async (words: string[] = []) => {
      const current = words.length > 0 ? words[words.length - 1]! : '';
      const at = position(program, words.slice(0, -1), current);
      const want = at.want;
      let candidates: string[] = [];
      if (want.kind === 'words') candidates = want.words;
      else if (want.kind === 'values') candidates = want.words.map((w) => want.prefix + w);
      else if (want.kind === 'objects') candidates = (await objectNames(want.of, at.store, ctx.env)).map((n) => want.prefix + n);
      const lines = [want.kind === 'files' ? 'files' : 'words', ...candidates.filter((c) => c.startsWith(current))];
      await ctx.io.stdout.write(`${lines.join('\n')}\n`);
    });
}
