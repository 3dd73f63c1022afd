import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { reachableAccessctl } from './reachable.js';

export const BIN = fileURLToPath(new URL('../../bin/accessctl', import.meta.url));
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SpawnResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built binary as a user would, with a clean environment; `as` runs it as another account (root only). */
export function cli(args: string[], opts: { env?: Record<string, string>; stdin?: string; cwd?: string; as?: { uid: number; gid: number } } = {}): SpawnResult {
  const { node, bin } = opts.as === undefined ? { node: process.execPath, bin: BIN } : reachableAccessctl(opts.as);
  const r = spawnSync(node, [bin, ...args], {
    ...opts.as,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ACCESSCTL_ACTOR: 'e2e', ...opts.env },
    input: opts.stdin ?? '',
    encoding: 'utf8',
    cwd: opts.cwd ?? (opts.as === undefined ? ROOT : '/'),
    timeout: 120_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The same, asynchronously: for many processes at once. */
export function cliAsync(args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}): Promise<SpawnResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ACCESSCTL_ACTOR: 'e2e', ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(opts.stdin ?? '');
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
