import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import type { RunId } from "../ids.js";
import { openCairn, type Cairn } from "../open-cairn.js";
import { parsePipeline } from "../spec/index.js";
import type { ExecutionRecord } from "../store/store.js";

/**
 * Fan-out (issue 18) in the engine, on real SQLite with real host processes: a bash
 * function per item, reading ITEM from its environment and its input file.
 */

const b64 = (text: string) => Buffer.from(text).toString("base64");
let dir: string;
let marks: string;
let cairn: Cairn;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cairn-fan-out-"));
  marks = join(dir, "marks");
  await mkdir(marks);
  cairn = await openCairn(loadConfig({ dataDir: join(dir, "data") }, { CAIRN_MAX_PARALLEL_TASKS: "8" }), { allowHostRuntime: true });
});
afterEach(async () => {
  await cairn.close();
  await rm(dir, { recursive: true, force: true });
});

function bash(id: string, code: string, extra: Record<string, unknown> = {}) {
  return { id, type: "function", runtime: "bash", code: b64(code), ...extra };
}

async function run(pipeline: unknown, params: Record<string, string> = {}) {
  const started = await cairn.engine.startRun({ pipeline: parsePipeline(pipeline), params });
  const ended = await cairn.engine.waitForRun(started.uuid);
  const executions = await cairn.store.listExecutions(started.uuid as RunId);
  const latest = new Map<string, ExecutionRecord>();
  for (const e of executions) if ((latest.get(e.taskId)?.attempt ?? 0) < e.attempt) latest.set(e.taskId, e);
  return { run: ended, executions, latest };
}

describe("fan-out", () => {
  it(
    "runs 1,000 items, each retried on its own, and hands their outputs to a dependent as arrays in item order",
    async () => {
      const items = Array.from({ length: 1000 }, (_, i) => `n${i}`);
      const { run: ended, executions, latest } = await run({
        id: "fan",
        execution_profile: { runtime: "host", max_exec_time: 60 },
        tasks: [
          bash(
            "square",
            // Every 100th item fails its first attempt (no marker yet). ITEM comes as an env var and as a file, alike.
            `test "$(cat "$CAIRN_INPUTS_DIR/ITEM")" = "$ITEM" || exit 9
             if [ $((ITEM_INDEX % 100)) -eq 7 ] && [ ! -e "${marks}/$ITEM_INDEX" ]; then touch "${marks}/$ITEM_INDEX"; exit 3; fi
             echo $((ITEM_INDEX * ITEM_INDEX)) > "$CAIRN_OUTPUTS_DIR/sq"
             echo "$ITEM" > "$CAIRN_OUTPUTS_DIR/name"`,
            {
              for_each: { value: items, max_parallel: 6 },
              execution_profile: { max_retries: 1, retry_policy: "fixed", retry_delay: 0 },
              output: { sq: { type: "number" }, name: { type: "string" } },
            },
          ),
          bash("sum", `echo "$SQ" > "$CAIRN_OUTPUTS_DIR/sq"; echo "$NAMES" > "$CAIRN_OUTPUTS_DIR/names"`, {
            depends_on: [{ id: "square" }],
            input: {
              SQ: { type: "json", value_from: { task_output: { task_id: "square", output_id: "sq" } } },
              NAMES: { type: "json", value_from: { task_output: { task_id: "square", output_id: "name" } } },
            },
          }),
        ],
      });
      expect(ended.status, ended.message ?? "").toBe("succeeded");
      // One execution per item attempt: 1,000 first attempts, 10 retries, the parent and the dependent.
      expect(executions).toHaveLength(1000 + 10 + 2);
      expect(latest.get("square")).toMatchObject({ status: "succeeded", message: "all 1000 item(s) succeeded" });
      expect(latest.get("square[7]")).toMatchObject({ status: "succeeded", attempt: 2 });
      expect(executions.find((e) => e.taskId === "square[7]" && e.attempt === 1)).toMatchObject({ status: "failed", exitCode: 3 });
      expect(latest.get("square[8]")).toMatchObject({ status: "succeeded", attempt: 1 });
      expect(readdirSync(marks)).toHaveLength(10);
      const squares = items.map((_, i) => i * i);
      expect(JSON.parse(latest.get("square")!.outputs.sq!)).toEqual(squares);
      // The dependent got the arrays as its inputs.
      expect(JSON.parse(latest.get("sum")!.outputs.sq!)).toEqual(squares);
      expect(JSON.parse(latest.get("sum")!.outputs.names!)).toEqual(items);
    },
    400_000,
  );

  it("reads the list from an upstream output, never runs more than max_parallel items at once, and gives JSON items as JSON", async () => {
    const { run: ended, latest } = await run({
      id: "from-output",
      execution_profile: { runtime: "host", max_exec_time: 60 },
      tasks: [
        bash("list", `echo '[{"a":1},{"a":2},"three",4]' > "$CAIRN_OUTPUTS_DIR/items"`, { output: { items: { type: "json" } } }),
        bash(
          "each",
          // Counts how many items run at once by links in a shared folder.
          `mkdir -p "${marks}/now"; touch "${marks}/now/$ITEM_INDEX"; sleep 0.2; ls "${marks}/now" | wc -l >> "${marks}/seen"; rm "${marks}/now/$ITEM_INDEX"
           printf '%s' "$ITEM" > "$CAIRN_OUTPUTS_DIR/item"`,
          { depends_on: [{ id: "list" }], for_each: { value_from: { task_output: { task_id: "list", output_id: "items" } }, max_parallel: 2 }, output: { item: { type: "json" } } },
        ),
      ],
    });
    expect(ended.status, ended.message ?? "").toBe("succeeded");
    expect(JSON.parse(latest.get("each")!.outputs.item!)).toEqual([{ a: 1 }, { a: 2 }, "three", 4]);
    const { readFileSync } = await import("node:fs");
    const seen = readFileSync(join(marks, "seen"), "utf8").trim().split("\n").map(Number);
    expect(seen).toHaveLength(4);
    expect(Math.max(...seen)).toBeLessThanOrEqual(2);
  });

  it("fails the task when an item fails after its retries, lets the other items finish, and skips its dependents", async () => {
    const { run: ended, latest } = await run(
      {
        id: "one-bad",
        execution_profile: { runtime: "host", max_exec_time: 60 },
        tasks: [
          bash("each", `[ "$ITEM" = bad ] && exit 4; echo ok > "$CAIRN_OUTPUTS_DIR/r"`, { for_each: { value_from: { params: "LIST" }, max_parallel: 1 } }),
          bash("after", `true`, { depends_on: [{ id: "each" }] }),
        ],
      },
      { LIST: '["a","bad","c"]' },
    );
    expect(ended).toMatchObject({ status: "failed", message: "tasks that did not succeed: each (failed), after (skipped)" });
    expect(latest.get("each")).toMatchObject({ status: "failed", message: "1 of 3 item(s) did not succeed: each[1] (failed)" });
    // max_parallel 1: item 2 still ran after item 1 failed.
    expect(latest.get("each[2]")).toMatchObject({ status: "succeeded", outputs: { r: "ok\n" } });
    expect(latest.get("after")?.status).toBe("skipped");
  });

  it("fails a task whose list is not a JSON array, naming the path, without running an item", async () => {
    const { run: ended, latest } = await run(
      {
        id: "not-a-list",
        execution_profile: { runtime: "host" },
        env: { LIST: { value_from: { params: "L" } } },
        tasks: [bash("each", `touch "${marks}/ran"`, { for_each: { value_from: { env: "LIST" } } })],
      },
      { L: '{"a":1}' },
    );
    expect(ended.status).toBe("failed");
    expect(latest.get("each")?.message).toBe(
      "for_each could not be resolved: tasks[0].for_each.value_from: env 'LIST' (parameter 'L') must be a JSON array, got an object",
    );
    expect(existsSync(join(marks, "ran"))).toBe(false);
    expect([...latest.keys()]).toEqual(["each"]);
  });

  it("succeeds over an empty list with empty arrays as outputs, and skips the whole task when its conditions do not hold", async () => {
    const { run: ended, latest } = await run(
      {
        id: "edges",
        execution_profile: { runtime: "host" },
        tasks: [
          bash("none", `exit 1`, { for_each: { value: [] }, output: { x: { type: "string" } } }),
          bash("gated", `exit 1`, { for_each: { value: [1, 2] }, conditions: [{ eq: [{ args: "GO" }, "yes"] }] }),
        ],
      },
      { GO: "no" },
    );
    expect(ended.status, ended.message ?? "").toBe("succeeded");
    expect(latest.get("none")).toMatchObject({ status: "succeeded", outputs: { x: "[]" } });
    expect(latest.get("gated")).toMatchObject({ status: "skipped", message: "skipped: conditions not met" });
    expect([...latest.keys()].sort()).toEqual(["gated", "none"]);
  });

  it("gives every item the files attached for its task, in its own inbox", async () => {
    const staging = join(dir, "staging");
    await mkdir(join(staging, "tasks", "each"), { recursive: true });
    await mkdir(join(staging, "all"), { recursive: true });
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(staging, "tasks", "each", "mine.txt"), "for each\n");
    await writeFile(join(staging, "all", "shared.txt"), "for all\n");
    const started = await cairn.engine.startRun({
      pipeline: parsePipeline({
        id: "inbox",
        execution_profile: { runtime: "host" },
        tasks: [bash("each", `cat "$CAIRN_INBOX_DIR/mine.txt" "$CAIRN_INBOX_DIR/shared.txt" > "$CAIRN_OUTPUTS_DIR/got"`, { for_each: { value: [1, 2] } })],
      }),
      attachments: staging,
    });
    const ended = await cairn.engine.waitForRun(started.uuid);
    expect(ended.status, ended.message ?? "").toBe("succeeded");
    const parent = (await cairn.store.listExecutions(started.uuid as RunId)).find((e) => e.taskId === "each")!;
    expect(JSON.parse(parent.outputs.got!)).toEqual(["for each\nfor all", "for each\nfor all"]);
  });

  it("retry from failure runs again only the items that failed, reusing the others", async () => {
    const pipeline = {
      id: "retry-items",
      execution_profile: { runtime: "host", max_exec_time: 60 },
      tasks: [
        bash("each", `echo "$ITEM" >> "${marks}/ran"; [ "$ITEM" = b ] && [ ! -e "${marks}/fixed" ] && exit 5; echo "$ITEM$ITEM" > "$CAIRN_OUTPUTS_DIR/o"`, {
          for_each: { value: ["a", "b", "c"] },
          output: { o: { type: "string" } },
        }),
      ],
    };
    const first = await run(pipeline);
    expect(first.run.status).toBe("failed");
    const { writeFile, readFile } = await import("node:fs/promises");
    await writeFile(join(marks, "fixed"), "");
    const retried = await cairn.engine.retryRun(first.run, {});
    const ended = await cairn.engine.waitForRun(retried.uuid);
    expect(ended.status, ended.message ?? "").toBe("succeeded");
    expect((await readFile(join(marks, "ran"), "utf8")).trim().split("\n").sort()).toEqual(["a", "b", "b", "c"]);
    const executions = await cairn.store.listExecutions(retried.uuid as RunId);
    const byTask = new Map(executions.map((e) => [e.taskId, e]));
    expect(byTask.get("each[0]")?.reusedFrom).toBe(first.latest.get("each[0]")?.uuid);
    expect(byTask.get("each[1]")?.reusedFrom).toBeUndefined();
    expect(JSON.parse(byTask.get("each")!.outputs.o!)).toEqual(["aa", "bb", "cc"]);
  });
});
