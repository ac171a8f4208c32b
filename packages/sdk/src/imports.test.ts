import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";

const SOURCE_DIR = new URL("./", import.meta.url);
/** The SDK sees Cairn through its spec only (no engine, store or HTTP code), and no Node built-ins so it also runs in a browser. */
const ALLOWED = /^(\.\/[\w-]+\.js|cairn\/spec)$/;

describe("the SDK's imports", () => {
  it("reach only its own files and cairn/spec", async () => {
    const files = (await readdir(SOURCE_DIR)).filter((f) => f.endsWith(".ts") && !/\.test(-d)?\.ts$/.test(f));
    const imports = await Promise.all(
      files.map(async (file) => {
        const text = await readFile(new URL(file, SOURCE_DIR), "utf8");
        return [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gms)].map((m) => `${file}: ${m[1]}`);
      }),
    );
    expect(imports.flat().length).toBeGreaterThan(files.length);
    expect(imports.flat().filter((line) => !ALLOWED.test(line.split(": ")[1]!))).toEqual([]);
  });
});
