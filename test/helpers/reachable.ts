import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'accessctl');

/**
 * Node and the built accessctl as another account can run them. Tests that run accessctl as a
 * throwaway account (root only) need both reachable by it; a checkout or a Node under a 0700
 * home directory (CI's second leg runs one from root's cache, in a 0700 copy) is not. Then the
 * package's runtime files (bin, dist, the schemas, its production dependencies) and, if need be, Node are
 * copied once per test process under a root-owned 0755 directory in /opt, removed at exit.
 */
let copy: { node: string; bin: string } | null = null;

export function reachableAccessctl(as: { uid: number; gid: number }): { node: string; bin: string } {
  const runs = (node: string, bin: string) => spawnSync(node, [bin, '--version'], { uid: as.uid, gid: as.gid, cwd: '/', encoding: 'utf8' }).status === 0;
  if (copy !== null && runs(copy.node, copy.bin)) return copy;
  if (runs(process.execPath, BIN)) return { node: process.execPath, bin: BIN };
  mkdirSync('/opt', { recursive: true, mode: 0o755 });
  sweepDeadCopies();
  // Named by this process: a test worker that is killed (never reaching 'exit') leaves its copy
  // for the next one to remove.
  const home = mkdtempSync(`/opt/accessctl-test-r${process.pid}-`);
  chmodSync(home, 0o755);
  process.once('exit', () => rmSync(home, { recursive: true, force: true }));
  for (const part of ['bin', 'dist', 'schema.sql', 'schema.pg.sql', 'package.json']) {
    if (existsSync(join(ROOT, part))) cpSync(join(ROOT, part), join(home, part), { recursive: true });
  }
  // The packages the bundle loads at run time (the production dependencies; of better-sqlite3,
  // whose JavaScript is bundled, only its compiled addon).
  const listed = spawnSync('npm', ['ls', '--omit=dev', '--parseable', '--all'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\n');
  for (const path of listed) {
    const rel = relative(ROOT, path.trim());
    if (!rel.startsWith('node_modules') || rel.startsWith(join('node_modules', 'better-sqlite3'))) continue;
    cpSync(path.trim(), join(home, rel), { recursive: true });
  }
  const addon = join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  mkdirSync(join(home, dirname(addon)), { recursive: true });
  copyFileSync(join(ROOT, addon), join(home, addon));
  spawnSync('chmod', ['-R', 'go+rX', home]);
  let node = process.execPath;
  if (spawnSync(node, ['-e', ''], { uid: as.uid, gid: as.gid, cwd: '/' }).status !== 0) {
    node = join(home, 'node');
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
  }
  copy = { node, bin: join(home, 'bin', 'accessctl') };
  if (!runs(copy.node, copy.bin)) throw new Error(`accessctl copied to ${home} does not run as uid ${as.uid}`);
  return copy;
}

/** Removes the copies of test processes that are gone (a pid that is running, whoever's, is left alone). */
function sweepDeadCopies(): void {
  for (const name of readdirSync('/opt')) {
    const pid = /^accessctl-test-r(\d+)-/.exec(name)?.[1];
    if (pid === undefined) continue;
    try {
      process.kill(Number(pid), 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join('/opt', name), { recursive: true, force: true });
    }
  }
}
