import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * README.md's examples as a script. A ```sh or ```bash block runs as it is written; in a ```text
 * block (a recorded session) the lines that start with `$ ` run. A block is skipped only with a
 * marker on the line before it (blank lines between are allowed) that gives a reason:
 *   <!-- readme-test: skip — needs a PostgreSQL server -->
 * A command whose trailing comment ends in `exit N` must exit N (`… # empty list, exit 3`).
 */
export interface Block {
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  /** The block's lines, indentation of the fence removed, each with its 1-based README line. */
  lines: Array<{ line: number; text: string }>;
  skip?: string;
}

const MARKER = /^<!--\s*readme-test:\s*(.*?)\s*-->$/;
const RUNNABLE = new Set(['sh', 'bash', 'text']);

export function readmeBlocks(markdown: string): Block[] {
  const src = markdown.split('\n');
  const blocks: Block[] = [];
  let open: (Block & { indent: string }) | undefined;
  src.forEach((raw, i) => {
    if (open) {
      if (/^\s*```\s*$/.test(raw)) {
        const { indent: _, ...block } = open;
        blocks.push(block);
        open = undefined;
      } else {
        open.lines.push({ line: i + 1, text: raw.startsWith(open.indent) ? raw.slice(open.indent.length) : raw.trimStart() });
      }
      return;
    }
    const fence = /^(\s*)```(\S*)\s*$/.exec(raw);
    if (!fence) return;
    open = { line: i + 1, lang: fence[2]!.toLowerCase(), lines: [], indent: fence[1]! };
    let j = i - 1;
    while (j >= 0 && src[j]!.trim() === '') j--;
    const marker = j >= 0 ? MARKER.exec(src[j]!.trim()) : null;
    if (marker) {
      const skip = /^skip\b\s*[—:-]?\s*(.*)$/.exec(marker[1]!);
      if (!skip) throw new Error(`README.md:${j + 1}: unknown readme-test marker "${marker[1]}" (only "skip — reason")`);
      if (skip[1]!.trim() === '') throw new Error(`README.md:${j + 1}: a skipped block needs a reason ("readme-test: skip — why")`);
      open.skip = skip[1]!.trim();
    }
  });
  if (open) throw new Error(`README.md:${open.line}: a code block is never closed`);
  return blocks;
}

const EXPECT_EXIT = /^(.*\S)\s+#[^#]*\bexit (\d+)\s*$/;

/**
 * The script: every command at the line it has in the README, so bash's $LINENO is the README's
 * line and a failure is reported where a reader would look.
 */
export function readmeScript(markdown: string): { script: string; ran: Block[]; skipped: Block[] } {
  const blocks = readmeBlocks(markdown);
  const out = markdown.split('\n').map(() => '');
  const ran: Block[] = [];
  const skipped: Block[] = [];
  for (const b of blocks) {
    if (!RUNNABLE.has(b.lang)) continue;
    const commands = b.lang === 'text' ? b.lines.filter((l) => l.text.startsWith('$ ')).map((l) => ({ ...l, text: l.text.slice(2) })) : b.lines;
    if (commands.length === 0) continue;
    if (b.skip !== undefined) {
      skipped.push(b);
      continue;
    }
    ran.push(b);
    for (const { line, text } of commands) {
      const expect = EXPECT_EXIT.exec(text);
      out[line - 1] =
        expect && !text.trimEnd().endsWith('\\') ? `__rc=0; ${expect[1]} || __rc=$?; __expect ${expect[2]} "$__rc" ${line}` : text;
    }
  }
  // Line 1 holds the prelude so every command keeps its own line number.
  out[0] = [
    'set -E -o pipefail',
    `__fail() { echo "README.md:$1: exit $2" >&3; exit 1; }`,
    `__expect() { [ "$2" = "$1" ] || { echo "README.md:$3: exit $2, the README says exit $1" >&3; exit 1; }; }`,
    "trap '__fail $LINENO $?' ERR",
  ].join('; ');
  return { script: `${out.join('\n')}\n`, ran, skipped };
}

export interface RunResult {
  /** `README.md:LINE: …` for the first command that failed, or undefined. */
  failure?: string;
  stdout: string;
  stderr: string;
}

/**
 * Runs the script in a fresh directory (the working directory, HOME and ACCESSCTL_HOME are new;
 * `examples/` is the checkout's), with `accessctl` on PATH meaning the built binary.
 */
export function runReadme(markdown: string, opts: { bin: string; root: string }): RunResult {
  const dir = mkdtempSync(join(tmpdir(), 'accessctl-readme-'));
  const binDir = join(dir, '.bin');
  mkdirSync(binDir);
  mkdirSync(join(dir, 'home'), { mode: 0o700 });
  symlinkSync(opts.bin, join(binDir, 'accessctl'));
  symlinkSync(join(opts.root, 'examples'), join(dir, 'examples'));
  const scriptFile = join(dir, '.readme.sh');
  const reportFile = join(dir, '.readme-report');
  writeFileSync(scriptFile, readmeScript(markdown).script);
  writeFileSync(reportFile, '');
  const r = spawnSync('bash', ['-c', `exec 3>>'${reportFile}'; . '${scriptFile}'`], {
    cwd: dir,
    env: {
      PATH: `${binDir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: join(dir, 'home'),
      ACCESSCTL_HOME: join(dir, 'home', 'accessctl'),
      LANG: 'C.UTF-8',
    },
    encoding: 'utf8',
    timeout: 540_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const report = readFileSync(reportFile, 'utf8').trim();
  const failure = report !== '' ? report : r.status !== 0 ? `README.md: the script ended with ${r.status ?? r.signal}` : undefined;
  return { failure, stdout: r.stdout, stderr: r.stderr };
}
