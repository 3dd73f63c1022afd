import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manPage } from '../../src/cli/man-page.js';
import { createProgram } from '../../src/cli/program.js';
import type { ContextControl } from '../../src/cli/create-context.js';
import { ROOT } from '../helpers/spawn.js';

/** The files `npm pack` would put in the package (scripts not run: the build is already done). */
function packed(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
}

describe('the package', () => {
  const files = packed();

  it('ships the man page, the changelog and the examples the docs point to', () => {
    expect(files).toEqual(expect.arrayContaining(['man/accessctl.1', 'CHANGELOG.md', 'examples/crontab', 'examples/ship-audit.sh', 'examples/access.yaml']));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { man: string[] };
    for (const page of pkg.man) expect(files).toContain(page);
  });

  it('examples/crontab runs only files the installed package has', () => {
    const crontab = readFileSync(join(ROOT, 'examples', 'crontab'), 'utf8');
    const installed = [...crontab.matchAll(/\/usr\/local\/lib\/node_modules\/accessctl\/(\S+)/g)].map((m) => m[1]!);
    expect(installed.length).toBeGreaterThan(0);
    for (const path of installed) expect(files, path).toContain(path);
    expect(crontab).not.toMatch(/share\/doc\/accessctl/);
  });

  it('every file README.md names under examples/ or docs/ is shipped', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const named = new Set([...readme.matchAll(/(?<![\w/])((?:examples|docs)\/[\w.-]+\.\w+)/g)].map((m) => m[1]!));
    expect(named.size).toBeGreaterThan(3);
    for (const path of named) expect(files, path).toContain(path);
  });
});

describe('the man page', () => {
  const ctx = { io: { stdout: { write: () => true } }, holdHelp: () => {}, env: {} } as unknown as ContextControl;
  const program = createProgram(ctx);

  it('is the build output of the command tree', () => {
    const built = join(ROOT, 'man', 'accessctl.1');
    expect(existsSync(built)).toBe(true);
    expect(readFileSync(built, 'utf8')).toBe(manPage());
  });

  it('has every verb, every flag and the examples of each', () => {
    const page = manPage();
    for (const noun of program.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden && c.name() !== 'help')) {
      const verbs = noun.commands.length > 0 ? noun.commands : [noun];
      for (const verb of verbs) {
        const path = verb === noun ? noun.name() : `${noun.name()} ${verb.name()}`;
        expect(page, path).toMatch(new RegExp(`^\\.SS "accessctl ${path.replace(/-/g, '\\\\-')}[ "]`, 'm'));
        for (const o of verb.options.filter((x) => !(x as unknown as { hidden?: boolean }).hidden)) {
          expect(page, `${path} ${o.flags}`).toContain(o.flags.replace(/-/g, '\\-'));
        }
      }
    }
    expect(page).not.toContain('__complete');
    expect(page).toContain('.SH EXIT STATUS');
  });

  it.skipIf(spawnSync('man', ['--version']).status !== 0)('renders without warnings', () => {
    const r = spawnSync('man', ['--warnings', '-l', join(ROOT, 'man', 'accessctl.1')], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat' } });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/accessctl user create/);
  });
});
