import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureWebBuild } from "../support/web-build.js";

/**
 * First load at most 300 KB of gzipped JavaScript (issue 19): what index.html loads
 * before any page shows (its entry script and the chunks it imports statically). The
 * graph (React Flow, elkjs) and the highlighter are chunks of their own, loaded later.
 */

const LIMIT_BYTES = 300 * 1024;

let dist: string;
beforeAll(async () => {
  dist = await ensureWebBuild();
}, 120_000);

/** The entry script of index.html and every chunk it imports statically, transitively. */
async function firstLoadScripts(): Promise<string[]> {
  const html = await readFile(join(dist, "index.html"), "utf8");
  const queue = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="\/([^"]+\.js)"/g)].map((m) => m[1]!);
  const seen = new Set<string>();
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = await readFile(join(dist, file), "utf8");
    // Static imports between chunks: `import{a as b}from"./chunk-abc.js"` (dynamic `import("./x.js")` is left out).
    for (const m of code.matchAll(/(?:^|[;\n}])\s*import\s*(?:[\w${},\s*]+from\s*)?["']\.\/([^"']+\.js)["']/g)) queue.push(`assets/${m[1]}`);
  }
  return [...seen];
}

describe("the web UI's first load", () => {
  it("is at most 300 KB of gzipped JavaScript, without the graph or the highlighter", async () => {
    const scripts = await firstLoadScripts();
    expect(scripts.length).toBeGreaterThan(0);
    let total = 0;
    for (const file of scripts) total += gzipSync(await readFile(join(dist, file))).length;
    console.log(`first load: ${scripts.length} script(s), ${(total / 1024).toFixed(1)} KB gzipped`);
    expect(total).toBeLessThanOrEqual(LIMIT_BYTES);
    const code = (await Promise.all(scripts.map((f) => readFile(join(dist, f), "utf8")))).join("\n");
    // The graph's and the highlighter's own code is not in the first load.
    expect(code).not.toContain("react-flow__renderer");
    expect(code).not.toContain("hljs-");
  });
});
