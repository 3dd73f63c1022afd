import { FileProblem } from './model.js';

/**
 * The bounds an access file is read within (SPEC section 12, "Guards"). They are checked on the
 * text before any parser runs, so a hostile file costs a linear scan, never a parser's recursion,
 * a regular expression's memory or a second of the YAML library's time per megabyte.
 */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
export const MAX_DEPTH = 64;
/** The longest text a field may hold is 1,024 characters; 64 KiB leaves room and still bounds work. */
export const MAX_SCALAR_CHARS = 64 * 1024;
/** A YAML line longer than this holds a field over MAX_SCALAR_CHARS or a flow list of thousands. */
export const MAX_YAML_LINE_CHARS = 1024 * 1024;

/** A problem the text scan finds: a line, and a message. The loader names the file. */
export class TextProblem extends Error {
  constructor(
    readonly line: number,
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'TextProblem';
  }
}

const DEPTH_HINT = `an access file is nested at most ${MAX_DEPTH} levels deep`;

/**
 * One pass over JSON text: nesting depth, string length and duplicate keys (JSON.parse keeps the
 * last of two equal keys silently; a second `settings` or `users` would hide the first).
 * Malformed JSON is left to the parser, which says where it broke.
 */
export function scanJsonText(text: string): void {
  let line = 1;
  // One entry per open bracket: the keys seen so far for an object, null for an array.
  const stack: Array<Set<string> | null> = [];
  let lastString: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    else if (c === 0x22 /* " */) {
      const start = i;
      i++;
      while (i < text.length && text.charCodeAt(i) !== 0x22) {
        if (text.charCodeAt(i) === 0x5c /* \ */) i++;
        else if (text.charCodeAt(i) === 10) break; // malformed: the parser reports it
        i++;
      }
      if (i - start - 1 > MAX_SCALAR_CHARS) throw new TextProblem(line, `a string of ${i - start - 1} characters`, `a field holds at most ${MAX_SCALAR_CHARS} characters`);
      lastString = text.slice(start, i + 1);
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      stack.push(c === 0x7b ? new Set() : null);
      if (stack.length > MAX_DEPTH) throw new TextProblem(line, `nested deeper than ${MAX_DEPTH} levels`, DEPTH_HINT);
      lastString = null;
    } else if (c === 0x5d || c === 0x7d) {
      stack.pop();
      lastString = null;
    } else if (c === 0x3a /* : */) {
      const keys = stack[stack.length - 1];
      if (keys && lastString !== null) {
        let key: string;
        try {
          key = JSON.parse(lastString) as string;
        } catch {
          return; // malformed: the parser reports it
        }
        if (keys.has(key)) throw new TextProblem(line, `duplicate key ${JSON.stringify(key.slice(0, 60))}`, 'a key is given once per mapping');
        keys.add(key);
      }
      lastString = null;
    } else if (c !== 0x20 && c !== 9 && c !== 13) lastString = null;
  }
}

/**
 * One pass over YAML text: line length, flow nesting (`[`, `{`) and block nesting (indentation,
 * `- ` items). Quotes and comments are skipped roughly; an approximation that can only err on a
 * file no one writes by hand, and the parsed value is checked exactly afterwards (checkValue).
 */
export function scanYamlText(text: string): void {
  let line = 0;
  let flow = 0;
  let blockScalarIndent = -1;
  let blockChars = 0;
  let blockLine = 0;
  const levels: number[] = [];
  let pos = 0;
  while (pos <= text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    line++;
    if (end - pos > MAX_YAML_LINE_CHARS) {
      throw new TextProblem(line, `a line of ${end - pos} characters`, `a field holds at most ${MAX_SCALAR_CHARS} characters`);
    }
    const raw = text.slice(pos, end);
    pos = end + 1;
    let indent = 0;
    while (indent < raw.length && raw.charCodeAt(indent) === 0x20) indent++;
    const blank = indent === raw.length || raw[indent] === '#' || raw.trim() === '';
    if (blockScalarIndent >= 0) {
      if (blank || indent > blockScalarIndent) {
        // A block scalar (`|`, `>`) is one field over many lines: bound it here, not after parsing.
        blockChars += raw.length + 1;
        if (blockChars > MAX_SCALAR_CHARS) throw new TextProblem(blockLine, `a text of more than ${MAX_SCALAR_CHARS} characters`, `a field holds at most ${MAX_SCALAR_CHARS} characters`);
        continue;
      }
      blockScalarIndent = -1;
    }
    if (blank) continue;
    if (flow === 0) {
      // Block structure: every deeper indentation, and every `- ` on the line, is one level.
      while (levels.length > 0 && levels[levels.length - 1]! >= indent) levels.pop();
      let col = indent;
      levels.push(col);
      while (raw.startsWith('- ', col) || raw.slice(col) === '-') {
        col += 2;
        while (raw.charCodeAt(col) === 0x20) col++;
        levels.push(col);
      }
      if (levels.length > MAX_DEPTH) throw new TextProblem(line, `nested deeper than ${MAX_DEPTH} levels`, DEPTH_HINT);
      if (/(?:^|[:\-]\s)[|>][0-9+-]*\s*(?:#.*)?$/.test(raw.slice(indent))) {
        blockScalarIndent = indent;
        blockChars = 0;
        blockLine = line;
      }
    }
    flow = flowDepth(raw, indent, flow, levels.length, line);
  }
}

/** Counts `[`/`{` outside quotes and comments, as a continuation of `depth` from earlier lines. */
function flowDepth(raw: string, from: number, depth: number, block: number, line: number): number {
  let quote = '';
  for (let i = from; i < raw.length; i++) {
    const ch = raw[i]!;
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = '';
      continue;
    }
    const prev = i === 0 ? ' ' : raw[i - 1]!;
    // A quote opens a string only where a value starts: `it's` is plain text.
    if ((ch === '"' || ch === "'") && /[\s[{,:]/.test(prev)) quote = ch;
    else if (ch === '#' && /\s/.test(prev)) break;
    else if (ch === '[' || ch === '{') {
      depth++;
      if (depth + block > MAX_DEPTH) throw new TextProblem(line, `nested deeper than ${MAX_DEPTH} levels`, DEPTH_HINT);
    } else if ((ch === ']' || ch === '}') && depth > 0) depth--;
  }
  return depth;
}

/**
 * The parsed value, walked without recursion: depth and text length, exactly. What the text scan
 * approximated (a multi-line scalar, indentation) is decided here, with the path for a line.
 */
export function checkValue(value: unknown): void {
  const todo: Array<{ v: unknown; path: string[] }> = [{ v: value, path: [] }];
  while (todo.length > 0) {
    const { v, path } = todo.pop()!;
    if (typeof v === 'string') {
      if (v.length > MAX_SCALAR_CHARS) throw new FileProblem(path, `a text of ${v.length} characters`, `a field holds at most ${MAX_SCALAR_CHARS} characters`);
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (path.length >= MAX_DEPTH) throw new FileProblem(path, `nested deeper than ${MAX_DEPTH} levels`, DEPTH_HINT);
    if (Array.isArray(v)) v.forEach((x, i) => todo.push({ v: x, path: [...path, String(i)] }));
    else {
      for (const [k, x] of Object.entries(v)) {
        if (k.length > MAX_SCALAR_CHARS) throw new FileProblem(path, `a key of ${k.length} characters`, `a key holds at most ${MAX_SCALAR_CHARS} characters`);
        todo.push({ v: x, path: [...path, k] });
      }
    }
  }
}
