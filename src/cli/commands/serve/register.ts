import type { Command } from 'commander';
import type { Ctx } from '../../context.js';
import { act, addVerb } from '../../verb.js';
import type { ListenOptions } from './listen.js';
import { runServe } from './run.js';

/** `accessctl serve` (SPEC section 17): a resident gate that other accounts ask through a UNIX socket. */
export function registerServe(program: Command, ctx: Ctx): void {
  const cmd = addVerb(program, 'serve', {
    description: 'answer access checks on a UNIX socket, for gates running as other accounts (docs/gates.md)',
    examples: [
      'accessctl serve --socket /run/accessctl/gate.sock --socket-group acgate',
      'accessctl access check --socket /run/accessctl/gate.sock --service ci -r db',
      'socat - UNIX:/run/accessctl/gate.sock < requests.ndjson  # as --batch',
    ],
  })
    .option('--socket <path>', 'the UNIX socket to listen on (not needed under systemd socket activation)')
    .option('--socket-group <group>', "the group that may ask: the socket's group")
    .option('--socket-mode <mode>', "the socket's mode, at most 0660 (default 0660 with --socket-group, else 0600)");
  act<ListenOptions>(ctx, 'access', cmd, (o) => runServe(o, ctx), false);
}
