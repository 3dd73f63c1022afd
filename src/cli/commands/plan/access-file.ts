import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError, UserError } from '../../../domain/errors.js';
import { FileProblem, pathText, type AccessFile } from '../../../domain/access-code/model.js';
import { validateAccessFile } from '../../../domain/access-code/validate-file.js';

type YamlLib = typeof import('yaml');

/**
 * What only the yaml library reads: anchors and aliases (it bounds their expansion), tags,
 * directives and complex keys. A file with any of these characters skips js-yaml, even when the
 * character only sits inside a value: that costs speed, never meaning.
 */
const FULL_PARSER_ONLY = /[&*!%]|\?(?:\s|$)/m;

/** An access file as read: its declarations, its bytes' SHA-256, and how to point at a line of it. */
export interface LoadedFile {
  name: string;
  sha256: string;
  bytes: Buffer;
  file: AccessFile;
  /** `FILE:LINE: path: message (hint)` as a usage error (exit 2). */
  problem(p: FileProblem): Promise<UsageError>;
}

/** Reads, parses and validates FILE (`-` is stdin's text, given as `stdinText`). Nothing is written. */
export async function loadAccessFile(path: string, readStdin: () => Promise<string>): Promise<LoadedFile> {
  let bytes: Buffer;
  try {
    bytes = path === '-' ? Buffer.from(await readStdin()) : readFileSync(path);
  } catch (err) {
    if (err instanceof UserError) throw err; // stdin that is a directory, said as such
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? String(err)}`, 'pass the access file with -f FILE');
  }
  const name = path === '-' ? '<stdin>' : basename(path);
  const text = bytes.toString('utf8');
  // The YAML library is loaded only by the access-as-code verbs; a JSON file skips it until a
  // problem needs a line number.
  let yaml: YamlLib | null = null;
  const lib = async () => (yaml ??= await import('yaml'));
  let value: unknown;
  let doc: import('yaml').Document.Parsed | null = null;
  let lines: import('yaml').LineCounter | null = null;
  const parseYaml = async () => {
    const Y = await lib();
    lines = new Y.LineCounter();
    doc = Y.parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
    return doc;
  };
  const looksJson = /\.json$/i.test(path) || /^\s*[{[]/.test(text);
  let parsed = false;
  if (looksJson) {
    try {
      value = JSON.parse(text);
      parsed = true;
    } catch {
      // fall through: the YAML parser reads JSON too, and says where it broke
    }
  }
  if (!parsed && !looksJson && !FULL_PARSER_ONLY.test(text)) {
    // The fastest path, for the plain YAML people keep in git: js-yaml reads the YAML 1.2 core
    // schema as the yaml library does, about ten times as fast (docs/performance.md). Anything
    // it refuses goes to the yaml library, which has the last word and the line numbers.
    // Loaded outside the try: a missing package is a failure, not a silent slow path.
    const { load } = await import('js-yaml');
    try {
      const loaded = load(text);
      if (loaded !== undefined) {
        value = loaded;
        parsed = true;
      }
    } catch {
      // Whatever js-yaml refuses or fails on (its docs: catch every exception, a deep nesting is
      // a RangeError), the yaml library decides below.
    }
  }
  if (!parsed && !looksJson) {
    // Plain values, no source positions; a problem re-reads the file for its line.
    try {
      value = (await lib()).parse(text, { uniqueKeys: true, maxAliasCount: 100 });
      parsed = true;
    } catch {
      // reported below, with its line
    }
  }
  if (!parsed) {
    const d = await parseYaml();
    if (d.errors.length > 0) {
      const e = d.errors[0]!;
      const line = e.linePos?.[0]?.line ?? 1;
      throw new UsageError(`${name}:${line}: not valid ${looksJson ? 'JSON' : 'YAML'}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, 'fix the syntax; nothing was changed');
    }
    value = d.toJS({ maxAliasCount: 100 });
  }

  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const problem = async (p: FileProblem): Promise<UsageError> => {
    // Line numbers come from the YAML parser; a JSON file is parsed a second time only now.
    if (!doc) await parseYaml();
    const line = lineOf(doc ?? null, lines, p);
    return new UsageError(`${name}${line ? `:${line}` : ''}: ${pathText(p.path)}: ${p.message}`, p.hint ?? 'nothing was changed');
  };
  let file: AccessFile;
  try {
    file = validateAccessFile(value);
  } catch (err) {
    if (err instanceof FileProblem) throw await problem(err);
    throw err;
  }
  return { name, sha256, bytes, file, problem };
}

/** The line of the node at `path` (of the key itself for an unknown key), 1-based. */
function lineOf(doc: import('yaml').Document.Parsed | null, lines: import('yaml').LineCounter | null, p: FileProblem): number | null {
  if (!doc || !lines) return null;
  let node: unknown = doc.contents;
  let offset: number | null = rangeStart(node);
  for (let i = 0; i < p.path.length; i++) {
    const seg = p.path[i]!;
    const items = (node as { items?: unknown[] } | null)?.items;
    if (!Array.isArray(items)) break;
    if ('key' in ((items[0] as object | undefined) ?? {})) {
      const pair = (items as Array<{ key: unknown; value: unknown }>).find((it) => String((it.key as { value?: unknown })?.value ?? it.key) === seg);
      if (!pair) break;
      const last = i === p.path.length - 1;
      node = pair.value;
      offset = (last && p.atKey) || node === null ? rangeStart(pair.key) : (rangeStart(node) ?? rangeStart(pair.key));
    } else {
      node = items[Number(seg)];
      offset = rangeStart(node) ?? offset;
    }
  }
  return offset === null ? null : lines.linePos(offset).line;
}

function rangeStart(node: unknown): number | null {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : null;
}
