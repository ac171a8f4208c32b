import { StringDecoder } from "node:string_decoder";

/** A line longer than this is sent in pieces, so one unterminated line cannot fill memory. */
export const MAX_LINE_CHARS = 1024 * 1024;

/** Turns a stream's chunks into `\n`-terminated lines, keeping a partial line (and a split multi-byte character) across chunks. */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const lines = (this.partial + this.decoder.write(chunk)).split("\n");
    this.partial = lines.pop()!;
    for (const line of lines) this.onLine(line);
    while (this.partial.length > MAX_LINE_CHARS) {
      this.onLine(this.partial.slice(0, MAX_LINE_CHARS));
      this.partial = this.partial.slice(MAX_LINE_CHARS);
    }
  }

  /** Sends the last line when it had no newline. */
  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = "";
    if (rest !== "") this.onLine(rest);
  }
}
