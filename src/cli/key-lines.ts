/**
 * The line each key was first seen on, for duplicate checks over imports of millions of rows,
 * in typed arrays: 12 bytes a slot instead of a string and a Map entry per row. Keys are held
 * as a 53-bit hash, so a match is a duplicate only after the caller compares the two lines'
 * keys (a different key with the same hash is about one in 10^10 pairs).
 */
export class KeyLines {
  private size = 0;
  private capacity = 1 << 16;
  private hi = new Uint32Array(this.capacity);
  private lo = new Uint32Array(this.capacity);
  /** line + 1; 0 is an empty slot. */
  private lines = new Uint32Array(this.capacity);

  /** Records `line` for `key` and returns undefined, or returns the line a key with its hash was first seen on. */
  firstLine(key: string, line: number): number | undefined {
    const [h, l] = hash53(key);
    if ((this.size + 1) * 2 > this.capacity) this.grow();
    const found = this.probe(h, l);
    if (this.lines[found] !== 0) return this.lines[found]! - 1;
    this.hi[found] = h;
    this.lo[found] = l;
    this.lines[found] = line + 1;
    this.size++;
    return undefined;
  }

  private probe(h: number, l: number): number {
    const mask = this.capacity - 1;
    let i = (l ^ Math.imul(h, 0x9e3779b1)) & mask;
    while (this.lines[i] !== 0 && !(this.hi[i] === h && this.lo[i] === l)) i = (i + 1) & mask;
    return i;
  }

  private grow(): void {
    const { hi, lo, lines } = this;
    this.capacity *= 2;
    this.hi = new Uint32Array(this.capacity);
    this.lo = new Uint32Array(this.capacity);
    this.lines = new Uint32Array(this.capacity);
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] === 0) continue;
      const j = this.probe(hi[i]!, lo[i]!);
      this.hi[j] = hi[i]!;
      this.lo[j] = lo[i]!;
      this.lines[j] = lines[i]!;
    }
  }
}

/** cyrb53: two 32-bit multiplicative hashes mixed into 53 bits, returned as its high 21 and low 32 bits. */
function hash53(text: string): [number, number] {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [(h2 & 0x1fffff) >>> 0, h1 >>> 0];
}
