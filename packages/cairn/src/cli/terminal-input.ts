import { createInterface } from "node:readline/promises";
import { CairnError } from "../errors.js";
import type { Output } from "./run-reporter.js";

/** What the prompts read from: standard input, a terminal or a pipe. */
export interface Input extends NodeJS.EventEmitter, AsyncIterable<string | Buffer> {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  setEncoding(encoding: BufferEncoding): unknown;
  resume(): unknown;
  pause(): unknown;
}

/** A line typed at a terminal, shown as it is typed. */
export async function promptLine(question: string, input: Input, output: Output): Promise<string> {
  const rl = createInterface({ input: input as NodeJS.ReadableStream, output: { write: (s: string) => (output.write(s), true) } as unknown as NodeJS.WritableStream, terminal: false });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/**
 * A password typed at a terminal, not echoed. Enter ends it, Backspace erases, Ctrl-C
 * gives up (a `cancelled` error), Ctrl-D ends it like Enter.
 */
export function promptHidden(question: string, input: Input, output: Output): Promise<string> {
  if (!input.setRawMode) throw new CairnError("internal", "a hidden prompt needs a terminal");
  const setRawMode = input.setRawMode.bind(input);
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (error?: Error) => {
      input.off("data", onData);
      setRawMode(false);
      input.pause();
      output.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string | Buffer) => {
      for (const ch of chunk.toString()) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return finish();
        if (ch === "\u0003") return finish(new CairnError("cancelled", "log-in cancelled"));
        if (ch === "\u007f" || ch === "\b") value = [...value].slice(0, -1).join("");
        else if (ch >= " ") value += ch;
      }
    };
    output.write(question);
    setRawMode(true);
    input.setEncoding("utf8");
    input.on("data", onData);
    input.resume();
  });
}

/** The first line of a pipe (`echo "$PASSWORD" | cairn login`), without its line ending. */
export async function readFirstLine(input: Input): Promise<string> {
  let text = "";
  for await (const chunk of input) {
    text += chunk.toString();
    const end = text.search(/\r?\n/);
    if (end >= 0) return text.slice(0, end);
  }
  return text;
}
