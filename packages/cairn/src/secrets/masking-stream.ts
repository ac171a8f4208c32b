import { Readable, Transform, type TransformCallback } from "node:stream";
import { ROOT_STATE } from "./pattern-automaton.js";
import { MaskedRanges, type SecretMasker } from "./secret-masker.js";

/**
 * Masks secrets in a stream of bytes (a result file served in a zip, a file copied to
 * an archive), with the same forms as logs (secret-forms.ts). `masker` must be made for
 * "bytes": the stream is read as latin1, one character per byte, so a binary file comes
 * out byte for byte where nothing is masked.
 *
 * Chunks end anywhere, so a secret may be split between two of them. The automaton's
 * state is carried from chunk to chunk, and what could still be the start of a secret
 * (the automaton's pending length) is held back until the next chunk settles it; so is a
 * masked range that a longer, overlapping match might still extend. A secret across a
 * chunk boundary therefore comes out as one `***`, exactly as if the file were one chunk.
 * At most the longest form of a secret is held (a few hundred bytes), whatever the file's size.
 */
export class MaskingStream extends Transform {
  private readonly masker: SecretMasker;
  private state = ROOT_STATE;
  /** Bytes seen and not yet passed on, as latin1 text, and their offset in the stream. */
  private held = "";
  private heldStart = 0;
  private seen = 0;
  private readonly ranges = new MaskedRanges();
  /** How many passed-on pieces had something masked: 0 means the output equals the input. */
  maskedCount = 0;

  constructor(masker: SecretMasker) {
    super();
    this.masker = masker;
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, done: TransformCallback): void {
    const automaton = this.masker.automaton;
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (automaton === undefined) return done(null, bytes);
    const text = bytes.toString("latin1");
    const offset = this.seen;
    this.state = automaton.scan(text, this.state, { add: (start, end) => this.ranges.add(offset + start, offset + end) });
    this.held += text;
    this.seen += text.length;
    // No later match can start before the automaton's pending text; a range already found
    // that reaches past that point could still merge with one, so it is held whole.
    const pendingFrom = this.seen - automaton.pendingLength(this.state);
    this.release(this.ranges.startOfRangeAround(pendingFrom) ?? pendingFrom);
    done();
  }

  override _flush(done: TransformCallback): void {
    this.release(this.seen);
    done();
  }

  private release(upTo: number): void {
    if (upTo <= this.heldStart) return;
    const cut = upTo - this.heldStart;
    const piece = this.held.slice(0, cut);
    let masked = this.ranges.apply(piece, this.heldStart);
    if (this.masker.maskMaySpellSecrets) masked = this.masker.mask(masked);
    if (masked !== piece) this.maskedCount++;
    this.ranges.dropBefore(upTo);
    this.held = this.held.slice(cut);
    this.heldStart = upTo;
    this.push(Buffer.from(masked, "latin1"));
  }
}

/** A readable's bytes with secrets masked; the readable itself when there is nothing to mask. */
export function maskedReadable(source: Readable, masker: SecretMasker): Readable {
  if (masker.isEmpty) return source;
  const masking = new MaskingStream(masker);
  // An error reading the source ends the masked stream with that error, not silently.
  source.on("error", (err) => masking.destroy(err));
  return source.pipe(masking);
}
