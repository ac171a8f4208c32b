import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessServer, type InProcessServer } from "../support/in-process-server.js";

/**
 * Issue 18's fan-out through the API of a whole server (real SQLite, real host
 * processes): items are executions named TASK[INDEX], each with its own attempts and log;
 * the task's own execution holds the gathered outputs; bad lists are a 400 naming the path.
 */

const W = "/v3/workflows";
const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("fan-out through the API", () => {
  let s: InProcessServer;
  let token: string;
  const auth = () => ({ "x-tapis-token": token });
  const runs = `${W}/groups/lab/pipelines/fan/runs`;

  const pipeline = (forEach: unknown) => ({
    id: "fan",
    execution_profile: { runtime: "host", max_exec_time: 60 },
    tasks: [
      {
        id: "each",
        type: "function",
        runtime: "bash",
        for_each: forEach,
        execution_profile: { max_retries: 1, retry_policy: "fixed", retry_delay: 0 },
        // Item 1 fails its first attempt: the second sees CAIRN_ATTEMPT=2.
        code: b64(`echo "hello $ITEM"; [ "$ITEM_INDEX" = 1 ] && [ "$CAIRN_ATTEMPT" = 1 ] && exit 2; echo "$ITEM" | tr a-z A-Z > "$CAIRN_OUTPUTS_DIR/up"`),
        output: { up: { type: "string" } },
      },
    ],
  });

  async function finished(uuid: string): Promise<Record<string, any>> {
    for (let i = 0; i < 300; i++) {
      const run = (await s.inject({ method: "GET", url: `${runs}/${uuid}`, headers: auth() })).json().result;
      if (!["queued", "running"].includes(run.status)) return run;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`run ${uuid} did not end`);
  }

  beforeAll(async () => {
    s = await startInProcessServer();
    token = await s.newUser("fanner");
    expect((await s.inject({ method: "POST", url: `${W}/groups`, headers: auth(), payload: { id: "lab" } })).statusCode).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  it("refuses a list that is not an array or holds more than 10,000 items, naming the path (400)", async () => {
    const notArray = await s.inject({ method: "POST", url: `${W}/groups/lab/pipelines`, headers: auth(), payload: pipeline({ value: "a,b" }) });
    expect(notArray.statusCode).toBe(400);
    expect(notArray.json().message).toContain("tasks[0].for_each.value: expected a JSON array of items, got string");
    const tooMany = await s.inject({ method: "POST", url: `${W}/groups/lab/pipelines`, headers: auth(), payload: pipeline({ value: Array.from({ length: 10_001 }, (_, i) => i) }) });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().message).toContain("tasks[0].for_each.value: must have at most 10000 items");
  });

  it("lists each item as an execution named TASK[INDEX] with its own attempts and log, and the task with the gathered outputs", async () => {
    const created = await s.inject({ method: "POST", url: `${W}/groups/lab/pipelines`, headers: auth(), payload: pipeline({ value: ["a", "b", "c"], max_parallel: 2 }) });
    expect(created.statusCode, created.body).toBe(201);
    const run = (await s.inject({ method: "POST", url: `${W}/groups/lab/pipelines/fan/events`, headers: auth(), payload: {} })).json().result;
    expect((await finished(run.uuid)).status).toBe("succeeded");
    const executions = (await s.inject({ method: "GET", url: `${runs}/${run.uuid}/executions`, headers: auth() })).json().result as Record<string, any>[];
    const shape = executions.map((e) => [e.task_id, e.attempt, e.status]).sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));
    expect(shape).toEqual([
      ["each", 1, "succeeded"],
      ["each[0]", 1, "succeeded"],
      ["each[1]", 1, "failed"],
      ["each[1]", 2, "succeeded"],
      ["each[2]", 1, "succeeded"],
    ]);
    const parent = executions.find((e) => e.task_id === "each")!;
    expect(parent).toMatchObject({ outputs: { up: '["A","B","C"]' }, message: "all 3 item(s) succeeded" });
    expect(executions.find((e) => e.task_id === "each[2]")).toMatchObject({ outputs: { up: "C\n" } });
    const item = executions.find((e) => e.task_id === "each[2]")!;
    const log = await s.inject({ method: "GET", url: `${runs}/${run.uuid}/executions/${item.uuid}/logs`, headers: auth() });
    expect(log.statusCode).toBe(200);
    expect(log.body).toContain("hello c");
  });
});
