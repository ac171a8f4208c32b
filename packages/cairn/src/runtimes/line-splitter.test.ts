import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineSplitter, MAX_LINE_CHARS } from "./line-splitter.js";

function split(chunks: Array<Buffer | string>): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

describe("LineSplitter", () => {
  it("sends each complete line and holds a partial one until the next chunk", () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push("one\ntw");
    expect(lines).toEqual(["one"]);
    splitter.push("o\nthree");
    expect(lines).toEqual(["one", "two"]);
    splitter.end();
    expect(lines).toEqual(["one", "two", "three"]);
  });

  it("drops the \\r of \\r\\n, also when the \\r and \\n arrive in different chunks", () => {
    expect(split(["a\r\nb\r", "\nc\r\n"])).toEqual(["a", "b", "c"]);
  });

  it("keeps empty lines and sends nothing extra for a trailing newline", () => {
    expect(split(["\n\nx\n"])).toEqual(["", "", "x"]);
    expect(split([])).toEqual([]);
  });

  it("keeps a multi-byte character whole when its bytes are split across chunks", () => {
    const bytes = Buffer.from("héllo €\n", "utf8");
    expect(split([bytes.subarray(0, 2), bytes.subarray(2, 8), bytes.subarray(8)])).toEqual(["héllo €"]);
  });

  it("cuts an endless line into pieces of at most MAX_LINE_CHARS", () => {
    const lines = split(["x".repeat(MAX_LINE_CHARS * 2 + 5)]);
    expect(lines.map((l) => l.length)).toEqual([MAX_LINE_CHARS, MAX_LINE_CHARS, 5]);
  });

  it("ignores chunks after end()", () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push("a");
    splitter.end();
    splitter.push("b\n");
    splitter.end();
    expect(lines).toEqual(["a"]);
  });

  it("gives the same lines however the text is cut into chunks", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("a", "b", "\n", "\r\n", "é"), { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 8 }), (parts, cuts) => {
        const text = parts.join("");
        const bytes = Buffer.from(text, "utf8");
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
        const chunks: Buffer[] = [];
        let from = 0;
        for (const p of [...points, bytes.length]) {
          chunks.push(bytes.subarray(from, p));
          from = p;
        }
        const expected = text === "" ? [] : text.replace(/\r\n/g, "\n").replace(/\n$/, "").split("\n");
        expect(split(chunks)).toEqual(expected);
      }),
    );
  });
});
