import { StringDecoder } from "node:string_decoder";

/** A line longer than this is sent in pieces, so one unterminated line cannot fill memory. */
export const MAX_LINE_CHARS = 1024 * 1024;

/**
 * Turns a byte stream's chunks into lines: splits on `\n` (dropping a `\r` before it),
 * keeps a partial line until a later chunk completes it, and sends it at `end()`.
 * Bytes are decoded here, so a multi-byte character split across chunks stays whole.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";
  private ended = false;

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    if (this.ended) return;
    const text = typeof chunk === "string" ? chunk : this.decoder.write(chunk);
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop()!;
    for (const line of lines) this.onLine(stripCarriageReturn(line));
    while (this.partial.length > MAX_LINE_CHARS) {
      this.onLine(this.partial.slice(0, MAX_LINE_CHARS));
      this.partial = this.partial.slice(MAX_LINE_CHARS);
    }
  }

  /** Sends the last partial line, if any. Further chunks are ignored. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const rest = this.partial + this.decoder.end();
    this.partial = "";
    if (rest !== "") this.onLine(stripCarriageReturn(rest));
  }
}

function stripCarriageReturn(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
