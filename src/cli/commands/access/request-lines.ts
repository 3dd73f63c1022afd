/** A request line longer than this is answered with an error, never buffered whole (SPEC section 13). */
export const MAX_REQUEST_BYTES = 64 * 1024;

/**
 * Splits a stream into request lines (SPEC section 13) and writes their answers in order. The
 * answers to the lines of one chunk of input go out in one write, before more input is read: a
 * gate waiting on its answer always gets it, and a fast feeder costs one write per chunk. A line
 * over MAX_REQUEST_BYTES is answered (`answer(null)`) without ever being buffered whole.
 */
export async function answerLines(input: AsyncIterable<unknown>, answer: (line: Buffer | null) => Promise<object>, write: (text: string) => Promise<void>): Promise<void> {
  let pending: Buffer[] = [];
  let size = 0;
  let overflow = false;
  let out = '';
  const answerLine = async (bytes: Buffer | null) => void (out += `${JSON.stringify(await answer(bytes))}\n`);
  const flush = async () => {
    if (out === '') return;
    const text = out;
    out = '';
    await write(text);
  };
  let start = true;
  for await (const chunk of input) {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    // A byte-order mark at the very start of the stream (an editor's, a Windows tool's) belongs
    // to no request; anywhere else it is part of a line, and that line is malformed.
    if (start && buf.length > 0) {
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
      start = false;
    }
    let nl: number;
    while ((nl = buf.indexOf(0x0a)) !== -1) {
      const head = buf.subarray(0, nl);
      buf = buf.subarray(nl + 1);
      if (overflow || size + head.length > MAX_REQUEST_BYTES) await answerLine(null);
      else {
        const line = pending.length === 0 ? head : Buffer.concat([...pending, head]);
        if (!isBlank(line)) await answerLine(line);
      }
      pending = [];
      size = 0;
      overflow = false;
    }
    await flush();
    if (overflow) continue;
    if (size + buf.length > MAX_REQUEST_BYTES) {
      overflow = true;
      pending = [];
      size = 0;
    } else if (buf.length > 0) {
      pending.push(Buffer.from(buf));
      size += buf.length;
    }
  }
  // A last request without its newline is still a request.
  if (overflow) await answerLine(null);
  else if (size > 0 && !isBlank(Buffer.concat(pending))) await answerLine(Buffer.concat(pending));
  await flush();
}

/** Only JSON's own whitespace makes a line blank: a line of U+00A0 or U+2028 gets an answer. */
function isBlank(line: Buffer): boolean {
  for (const b of line) if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  return true;
}
