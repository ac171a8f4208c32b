import { type MatchSink, PatternAutomaton, ROOT_STATE } from "./pattern-automaton.js";
import { maskableForms } from "./secret-forms.js";

/**
 * Replaces secret values in log text with `***`, also in their obvious encodings
 * (base64, percent-encoding, JSON escaping: see secret-forms.ts). Values shorter than
 * MIN_MASKED_LENGTH (4) characters are not masked: they would destroy logs.
 *
 * Overlapping occurrences (of two secrets, or of two encodings) are masked as their
 * union, so no tail of the second is left in clear. Measured: 20 secrets over 100k
 * lines of 100 characters in about 0.1 s (see secret-masker.test.ts).
 */

export const MASK = "***";

/**
 * What the masker reads: JavaScript text (log lines, output values), or bytes decoded as
 * latin1, one character per byte (files: see masking-stream.ts). Bytes are never decoded
 * as UTF-8, which would change a binary file; the forms are encoded to UTF-8 instead.
 */
export type MaskedMaterial = "text" | "bytes";

export class SecretMasker {
  /** @internal The automaton over every form of every secret; StreamMasker scans with it. */
  readonly automaton: PatternAutomaton | undefined;
  /**
   * True when a form contains `*`: then `***` next to other text can spell a secret
   * again, so masking repeats until nothing changes (each round shortens the text).
   */
  readonly maskMaySpellSecrets: boolean;
  private readonly ranges = new MaskedRanges();

  constructor(secrets: Iterable<string>, material: MaskedMaterial = "text") {
    const textForms = maskableForms(secrets);
    const forms = material === "bytes" ? textForms.map((form) => Buffer.from(form, "utf8").toString("latin1")) : textForms;
    this.automaton = forms.length > 0 ? new PatternAutomaton(forms) : undefined;
    this.maskMaySpellSecrets = forms.some((form) => form.includes("*"));
  }

  /** True when there is nothing to mask (no secrets, or all shorter than the minimum). */
  get isEmpty(): boolean {
    return this.automaton === undefined;
  }

  mask(text: string): string {
    if (this.automaton === undefined) return text;
    for (;;) {
      this.ranges.clear();
      this.automaton.scan(text, ROOT_STATE, this.ranges);
      if (this.ranges.isEmpty) return text;
      text = this.ranges.apply(text, 0);
      if (!this.maskMaySpellSecrets) return text;
    }
  }

  /** Masks a whole buffer; for a masker made for "bytes". Returns the same buffer when nothing was masked. */
  maskBytes(bytes: Buffer): Buffer {
    if (this.automaton === undefined) return bytes;
    const text = bytes.toString("latin1");
    const masked = this.mask(text);
    return masked === text ? bytes : Buffer.from(masked, "latin1");
  }
}

/**
 * Masks one log stream (one task's stdout, say) line by line, including a secret that
 * a program or a log driver split across lines: `echo $TOKEN | base64` wraps at 76
 * characters, and container engines cut long lines into 16 KiB pieces.
 *
 * Strategy: the stream is scanned as if its lines were one text (lines joined without
 * a separator), with the automaton's state carried from line to line. A line is held
 * back while its end could be the beginning of a secret, that is while it overlaps the
 * last `pendingLength` characters seen, and released, masked, as soon as a later line
 * settles the question. A secret split over two lines thus comes out as `...***` and
 * `***...`. An empty line is a hard break: nothing is matched across it.
 *
 * The cost is latency: a held line waits for the next one. Whoever reads the stream
 * must call flush() when it ends, and when it has been idle for a moment (a few hundred
 * ms) so the last line of a pause is not held indefinitely. A secret whose first part
 * was flushed that way still has its rest masked on the next line.
 */
export class StreamMasker {
  private readonly masker: SecretMasker;
  private state = ROOT_STATE;
  /** Characters seen so far, as offsets into the joined stream. */
  private seen = 0;
  private readonly held: { text: string; start: number }[] = [];
  private readonly ranges = new MaskedRanges();
  private readonly sink: MatchSink;

  constructor(masker: SecretMasker) {
    this.masker = masker;
    // The automaton reports offsets relative to the line; the ranges are kept in stream offsets.
    this.sink = { add: (start, end) => this.ranges.add(this.seen + start, this.seen + end) };
  }

  /** True when lines are held back, waiting for the next line or flush(). */
  get holding(): boolean {
    return this.held.length > 0;
  }

  /** Takes the next line (without its line break); returns the lines now safe to show, masked, in order. */
  push(line: string): string[] {
    const automaton = this.masker.automaton;
    if (automaton === undefined) return [line];
    if (line === "") {
      const released = this.flush();
      this.state = ROOT_STATE;
      released.push(line);
      return released;
    }
    this.state = automaton.scan(line, this.state, this.sink);
    this.held.push({ text: line, start: this.seen });
    this.seen += line.length;
    return this.release(this.seen - automaton.pendingLength(this.state));
  }

  /** Releases every held line, masked as far as is known. */
  flush(): string[] {
    return this.release(Number.POSITIVE_INFINITY);
  }

  /** Releases held lines that end at or before `settledUpTo`. */
  private release(settledUpTo: number): string[] {
    const released: string[] = [];
    while (this.held.length > 0) {
      const line = this.held[0]!;
      const end = line.start + line.text.length;
      if (end > settledUpTo) break;
      this.held.shift();
      let masked = this.ranges.apply(line.text, line.start);
      if (this.masker.maskMaySpellSecrets) masked = this.masker.mask(masked);
      released.push(masked);
      this.ranges.dropBefore(end);
    }
    return released;
  }
}

/**
 * Ranges [start, end) to mask, merged when they overlap, kept in order. Matches arrive
 * by increasing end, so a new range can only swallow the last ones.
 */
export class MaskedRanges implements MatchSink {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  get isEmpty(): boolean {
    return this.starts.length === 0;
  }

  /** The start of the range that covers `offset`, or undefined when none does. */
  startOfRangeAround(offset: number): number | undefined {
    for (let i = this.starts.length - 1; i >= 0; i--) {
      if (this.ends[i]! <= offset) return undefined;
      if (this.starts[i]! < offset) return this.starts[i];
    }
    return undefined;
  }

  add(start: number, end: number): void {
    let last = this.starts.length - 1;
    while (last >= 0 && start < this.ends[last]!) {
      start = Math.min(start, this.starts[last]!);
      this.starts.pop();
      this.ends.pop();
      last--;
    }
    this.starts.push(start);
    this.ends.push(end);
  }

  clear(): void {
    this.starts.length = 0;
    this.ends.length = 0;
  }

  /** `text` with every range that touches it replaced by MASK; `offset` is where text starts in range coordinates. */
  apply(text: string, offset: number): string {
    let masked = "";
    let cursor = 0;
    const textEnd = offset + text.length;
    for (let i = 0; i < this.starts.length; i++) {
      const start = Math.max(this.starts[i]!, offset);
      const end = Math.min(this.ends[i]!, textEnd);
      if (start >= end) continue;
      masked += text.slice(cursor, start - offset) + MASK;
      cursor = end - offset;
    }
    return cursor === 0 && masked === "" ? text : masked + text.slice(cursor);
  }

  /** Forgets ranges that end at or before `offset`: the text they cover has been released. */
  dropBefore(offset: number): void {
    let keep = 0;
    while (keep < this.ends.length && this.ends[keep]! <= offset) keep++;
    if (keep > 0) {
      this.starts.splice(0, keep);
      this.ends.splice(0, keep);
    }
  }
}
