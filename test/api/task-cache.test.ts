import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessServer, type InProcessServer } from "../support/in-process-server.js";
import { zipBuffers } from "../support/zip-entries.js";

/**
 * Issue 18's task cache through the API of a whole server (real SQLite, real host
 * processes): a second run of an unchanged task is restored, not run; its execution says
 * `cached_from`, and its results are in the run's zip like any task's.
 */

const W = "/v3/workflows";
const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("the task cache through the API", () => {
  let s: InProcessServer;
  let token: string;
  let marks: string;
  const auth = () => ({ "x-tapis-token": token });
  const runs = `${W}/groups/lab/pipelines/p/runs`;

  async function finished(uuid: string): Promise<Record<string, any>> {
    for (let i = 0; i < 300; i++) {
      const run = (await s.inject({ method: "GET", url: `${runs}/${uuid}`, headers: auth() })).json().result;
      if (!["queued", "running"].includes(run.status)) return run;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`run ${uuid} did not end`);
  }
  const executions = async (uuid: string) =>
    Object.fromEntries(((await s.inject({ method: "GET", url: `${runs}/${uuid}/executions`, headers: auth() })).json().result as Record<string, any>[]).map((e) => [e.task_id, e]));
  const starts = () => (existsSync(join(marks, "ran.log")) ? readFileSync(join(marks, "ran.log"), "utf8").split("\n").filter(Boolean).length : 0);
  const start = async (params: Record<string, string>) => {
    const answer = await s.inject({ method: "POST", url: `${W}/groups/lab/pipelines/p/events`, headers: auth(), payload: { params } });
    expect(answer.statusCode, answer.body).toBe(201);
    return finished(answer.json().result.uuid);
  };

  beforeAll(async () => {
    marks = await mkdtemp(join(tmpdir(), "cairn-cache-marks-"));
    s = await startInProcessServer();
    token = await s.newUser("cacher");
    expect((await s.inject({ method: "POST", url: `${W}/groups`, headers: auth(), payload: { id: "lab" } })).statusCode).toBe(201);
    const pipeline = {
      id: "p",
      execution_profile: { runtime: "host", max_exec_time: 60 },
      tasks: [
        {
          id: "count",
          type: "function",
          runtime: "bash",
          execution_profile: { cache: true },
          input: { WORD: { type: "string", value_from: { params: "word" } } },
          code: b64(`echo ran >> ${marks}/ran.log; echo "$WORD $RANDOM" > "$CAIRN_OUTPUTS_DIR/n"; echo "report $WORD" > "$CAIRN_OUTBOX_DIR/report.txt"`),
          output: { n: { type: "string" } },
        },
      ],
    };
    const created = await s.inject({ method: "POST", url: `${W}/groups/lab/pipelines`, headers: auth(), payload: pipeline });
    expect(created.statusCode, created.body).toBe(201);
  });
  afterAll(async () => {
    await s?.close();
    await rm(marks, { recursive: true, force: true });
  });

  it("restores an unchanged task from the cache, naming the execution that made it, and runs a changed one", async () => {
    const first = await start({ word: "hello" });
    expect(first.status).toBe("succeeded");
    const made = (await executions(first.uuid)).count;
    expect(made.cached_from).toBeNull();

    const second = await start({ word: "hello" });
    expect(second.status).toBe("succeeded");
    const hit = (await executions(second.uuid)).count;
    expect(hit).toMatchObject({ status: "succeeded", cached_from: made.uuid, outputs: made.outputs, reused_from: null });
    expect(starts()).toBe(1);
    const zip = await s.inject({ method: "GET", url: `${runs}/${second.uuid}/results`, headers: auth() });
    expect(zip.statusCode).toBe(200);
    const entries = await zipBuffers(zip.rawPayload);
    expect([...entries.entries()].find(([name]) => name.endsWith("report.txt"))?.[1].toString()).toBe("report hello\n");

    const changed = (await executions((await start({ word: "bye" })).uuid)).count;
    expect(changed.cached_from).toBeNull();
    expect(starts()).toBe(2);
  });

  it("refuses cache on a task type that cannot be cached, naming the field", async () => {
    const answer = await s.inject({
      method: "POST",
      url: `${W}/groups/lab/pipelines`,
      headers: auth(),
      payload: { id: "builds", tasks: [{ id: "b", type: "image_build", builder: "podman", context: { type: "dockerfile", dockerfile: "FROM busybox" }, destination: { type: "local", tag: "x:1" }, execution_profile: { cache: true } }] },
    });
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toContain("tasks[0].execution_profile.cache");
  });
});
