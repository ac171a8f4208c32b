import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_OUTPUT_VALUE_BYTES, collectOutputs } from "./attempt-files.js";

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "cairn-outputs-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("collectOutputs", () => {
  it("reads each file by name, and says the folder held nothing else", () => {
    writeFileSync(join(dir, "b"), "2");
    writeFileSync(join(dir, "a"), "one");
    const warnings: string[] = [];
    expect(collectOutputs(dir, (m) => warnings.push(m))).toEqual({ values: { a: "one", b: "2" }, complete: true });
    expect(warnings).toEqual([]);
  });

  it("leaves out a folder and a file over the limit, and says so", () => {
    writeFileSync(join(dir, "small"), "ok");
    writeFileSync(join(dir, "large"), Buffer.alloc(MAX_OUTPUT_VALUE_BYTES + 1));
    const warnings: string[] = [];
    expect(collectOutputs(dir, (m) => warnings.push(m))).toEqual({ values: { small: "ok" }, complete: false });
    expect(warnings).toEqual([expect.stringContaining("output 'large' is")]);
    rmSync(join(dir, "large"));
    mkdirSync(join(dir, "sub"));
    expect(collectOutputs(dir, () => undefined)).toEqual({ values: { small: "ok" }, complete: false });
  });

  it("finds nothing in a folder that is not there", () => {
    expect(collectOutputs(join(dir, "missing"), () => undefined)).toEqual({ values: {}, complete: false });
  });
});
