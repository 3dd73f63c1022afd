import { Argument, type Command } from 'commander';
import type { Ctx } from '../../context.js';
import { addVerb } from '../../verb.js';
import { bashScript, fishScript, zshScript } from './script.js';

/** `accessctl completion bash|zsh|fish`: a script generated from the live command tree. */
export function registerCompletion(program: Command, ctx: Ctx): void {
  addVerb(program, 'completion', {
    description: 'print a shell completion script (bash, zsh or fish)',
    examples: ['source <(accessctl completion bash)', 'accessctl completion zsh > "${fpath[1]}/_accessctl"', 'accessctl completion fish | source'],
  })
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .action(async (shell: string) => {
      const script = shell === 'bash' ? bashScript(program) : shell === 'zsh' ? zshScript(program) : fishScript(program);
      await ctx.io.stdout.write(script);
    });
}
