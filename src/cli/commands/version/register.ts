import type { Command } from 'commander';
import { libraryVersions } from '../../../store/versions.js';
import type { Ctx } from '../../context.js';
import { VERSION } from '../../version.js';
import { act, addVerb } from '../../verb.js';

/** `accessctl version`: what a bug report needs; `--version` stays one word for scripts. */
export function registerVersion(program: Command, ctx: Ctx): void {
  const cmd = addVerb(program, 'version', {
    description: 'the version, the store schema version, and the SQLite, driver and Node versions',
    examples: ['accessctl version', 'accessctl -f json version', 'accessctl --version   # the version alone'],
  });
  act(ctx, 'version', cmd, async () => ({ kind: 'version', records: [{ version: VERSION, ...libraryVersions(), node: process.versions.node }] }), false);
}
