import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { openCairn, type Cairn } from "../open-cairn.js";
import { parsePipeline } from "../spec/index.js";

/**
 * Handed-on folders with real host processes through the launcher: each task writes the
 * inode of its working folder, which a handed-on folder keeps (a rename), and the run's
 * folder as the last task sees it.
 */

const b64 = (text: string) => Buffer.from(text).toString("base64");
const INODE = 'stat -c %i . > "$CAIRN_OUTPUTS_DIR/inode"\n';

function chain(codes: Record<string, string>) {
  const ids = Object.keys(codes);
  return parsePipeline({
    id: "handed-on",
    execution_profile: { runtime: "host" },
    tasks: ids.map((id, i) => ({
      id,
      type: "function",
      runtime: "bash",
      code: b64(codes[id]!),
      depends_on: i === 0 ? [] : [{ id: ids[i - 1]! }],
    })),
  });
}

describe("attempt folders handed on between real host processes", () => {
  let dir: string;
  let cairn: Cairn;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-handed-on-"));
    cairn = await openCairn(loadConfig({ dataDir: dir, maxParallelTasks: 1 }, {}), { allowHostRuntime: true, prepareHost: true });
  });
  afterAll(async () => {
    await cairn?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(codes: Record<string, string>) {
    const started = await cairn.engine.startRun({ pipeline: chain(codes) });
    const final = await cairn.engine.waitForRun(started.uuid);
    expect(final.status).toBe("succeeded");
    const outputs = new Map((await cairn.store.listExecutions(started.uuid)).map((e) => [e.taskId, e.outputs]));
    return (id: string) => outputs.get(id)!;
  }

  it("gives a task the folders of the one two before it, emptied, each output recorded first", async () => {
    const outputs = await run({
      a: INODE + 'echo from-a > "$CAIRN_OUTPUTS_DIR/said"\n',
      b: INODE,
      c: 'found=$(ls -A "$CAIRN_OUTPUTS_DIR" | wc -l)\n' + INODE + 'echo "$found" > "$CAIRN_OUTPUTS_DIR/found"; ls .. | tr "\\n" " " > "$CAIRN_OUTPUTS_DIR/beside"\n',
      d: INODE + 'ls ../.. | grep -c @ > "$CAIRN_OUTPUTS_DIR/attempt_folders"\n',
    });
    expect(outputs("a")).toMatchObject({ said: "from-a\n" });
    // c's folder was a's: its work folder is the same inode, with none of a's outputs left in it.
    expect(outputs("c").inode).toBe(outputs("a").inode);
    expect(outputs("d").inode).toBe(outputs("b").inode);
    expect(outputs("c").inode).not.toBe(outputs("b").inode);
    expect(outputs("c").found).toBe("0\n");
    expect(outputs("c").beside).toBe("outbox outputs work ");
    // Four attempts, two folders (c's and d's, which were a's and b's).
    expect(outputs("d").attempt_folders).toBe("2\n");
  });

  it("keeps the folders of a task that left a process running, or left a file in its working folder", async () => {
    const outputs = await run({
      a: INODE + "sleep 2 >/dev/null 2>&1 &\n",
      b: INODE + "touch scratch\n",
      c: INODE,
      d: INODE,
    });
    const inodes = ["a", "b", "c", "d"].map((id) => outputs(id).inode);
    expect(new Set(inodes).size).toBe(4);
  });
});
