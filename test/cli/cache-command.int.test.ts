import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../packages/cairn/src/cli/main.js";
import { listCacheObjects } from "../../packages/cairn/src/workspace/cache-objects.js";

/** `cairn cache ls` and `cairn cache clear` on a data dir that local `cairn run`s filled (host processes, SQLite). */

let scratch: string;
let dataDir: string;

async function cairn(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["--data-dir", dataDir, ...args], { write: (t) => void (out += t) }, { write: (t) => void (err += t) });
  return { code, out, err };
}

async function pipelineFile(id: string): Promise<string> {
  const file = join(scratch, `${id}.json`);
  const code = Buffer.from('echo "$RANDOM" > "$CAIRN_OUTPUTS_DIR/n"; echo kept > "$CAIRN_OUTBOX_DIR/r.txt"').toString("base64");
  await writeFile(file, JSON.stringify({ id, execution_profile: { runtime: "host", cache: true }, tasks: [{ id: "t", type: "function", runtime: "bash", code, output: { n: { type: "string" } } }] }));
  return file;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "cairn-cache-cli-"));
  dataDir = join(scratch, "data");
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("cairn cache", () => {
  it("lists the entries local runs made, and clears one pipeline's, then all", async () => {
    expect((await cairn("run", await pipelineFile("one"))).code).toBe(0);
    expect((await cairn("run", await pipelineFile("two"))).code).toBe(0);
    // A second run of `one` is a hit: still one entry for it.
    const again = await cairn("--json", "run", await pipelineFile("one"));
    expect(again.code).toBe(0);

    const listed = await cairn("cache", "ls");
    expect(listed.code).toBe(0);
    expect(listed.out).toContain("local/one/t");
    expect(listed.out).toContain("local/two/t");
    expect(listed.out).toContain("2 entries");
    const json = (await cairn("--json", "cache", "ls", "--pipeline", "one")).out.trim().split("\n").map((l) => JSON.parse(l));
    expect(json).toEqual([expect.objectContaining({ group: "local", pipeline: "one", task: "t", files: 1, key: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) })]);

    expect((await cairn("cache", "clear", "--pipeline", "one")).out).toBe("removed 1 cache entry of pipeline 'one'\n");
    expect((await cairn("cache", "ls")).out).not.toContain("local/one/t");
    expect((await cairn("cache", "clear")).out).toBe("removed 1 cache entry\n");
    expect((await cairn("cache", "ls")).out).toBe("the task cache is empty\n");
    expect(await listCacheObjects(dataDir)).toEqual([]);
  });
});
