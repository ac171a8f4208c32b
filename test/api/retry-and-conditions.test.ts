import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attemptResultsDir } from "../../packages/cairn/src/workspace/result-files.js";
import { startInProcessServer, type InProcessServer } from "../support/in-process-server.js";

/**
 * Issue 18, through the API of a whole server (real SQLite, real host processes): Tapis
 * conditions that skip a task without failing the run, and retry from failure, which
 * reuses the tasks that succeeded and runs the others again.
 */

const W = "/v3/workflows";
const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("conditions and retry from failure", () => {
  let s: InProcessServer;
  let token: string;
  let marks: string;
  const auth = () => ({ "x-tapis-token": token });
  const runs = `${W}/groups/lab/pipelines/p/runs`;

  /** count writes 5 and a report, once per time it runs; flaky fails until `fixed` exists; gated runs only for a count over 10. */
  const pipeline = () => ({
    id: "p",
    execution_profile: { runtime: "host", max_exec_time: 60 },
    tasks: [
      {
        id: "count",
        type: "function",
        runtime: "bash",
        code: b64(`echo ran >> ${marks}/count.log; echo 5 > "$CAIRN_OUTPUTS_DIR/n"; echo report > "$CAIRN_OUTBOX_DIR/report.txt"`),
        output: { n: { type: "number" } },
      },
      {
        id: "flaky",
        type: "function",
        runtime: "bash",
        depends_on: [{ id: "count" }],
        input: { N: { type: "string", value_from: { task_output: { task_id: "count", output_id: "n" } } } },
        code: b64(`echo ran >> ${marks}/flaky.log; test -f ${marks}/fixed || exit 7; printf "got %s" "$N" > "$CAIRN_OUTPUTS_DIR/seen"`),
        output: { seen: { type: "string" } },
      },
      {
        id: "gated",
        type: "function",
        runtime: "bash",
        depends_on: [{ id: "count" }],
        conditions: [{ gt: [{ task_output: { task_id: "count", output_id: "n" } }, 10] }],
        code: b64(`echo ran >> ${marks}/gated.log`),
      },
      { id: "after-gated", type: "function", runtime: "bash", depends_on: [{ id: "gated" }], code: b64(`echo ran >> ${marks}/gated.log`) },
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
  const executions = async (uuid: string) =>
    Object.fromEntries(((await s.inject({ method: "GET", url: `${runs}/${uuid}/executions`, headers: auth() })).json().result as Record<string, any>[]).map((e) => [e.task_id, e]));
  const lines = (name: string) => (existsSync(join(marks, name)) ? readFileSync(join(marks, name), "utf8").split("\n").filter(Boolean).length : 0);

  beforeAll(async () => {
    marks = await mkdtemp(join(tmpdir(), "cairn-retry-marks-"));
    s = await startInProcessServer();
    token = await s.newUser("retrier");
    expect((await s.inject({ method: "POST", url: `${W}/groups`, headers: auth(), payload: { id: "lab" } })).statusCode).toBe(201);
    const created = await s.inject({ method: "POST", url: `${W}/groups/lab/pipelines`, headers: auth(), payload: pipeline() });
    expect(created.statusCode, created.body).toBe(201);
  });
  afterAll(async () => {
    await s?.close();
    await rm(marks, { recursive: true, force: true });
  });

  it("skips a task whose conditions do not hold, and its dependent, without failing the run for it; retries the failed task alone, reusing the succeeded one", async () => {
    const first = (await s.inject({ method: "POST", url: `${W}/groups/lab/pipelines/p/events`, headers: auth(), payload: {} })).json().result;
    const failed = await finished(first.uuid);
    expect(failed.status).toBe("failed");
    // Only flaky's failure fails the run: the skips by conditions are decisions.
    expect(failed.message).toBe("tasks that did not succeed: flaky (failed)");
    const before = await executions(first.uuid);
    expect(before.gated).toMatchObject({ status: "skipped", message: "skipped: conditions not met" });
    expect(before["after-gated"]).toMatchObject({ status: "skipped", message: "skipped: dependency 'gated' ended skipped" });
    expect([lines("count.log"), lines("flaky.log"), lines("gated.log")]).toEqual([1, 1, 0]);

    await writeFile(join(marks, "fixed"), "");
    const answer = await s.inject({ method: "POST", url: `${runs}/${first.uuid}/retry`, headers: auth() });
    expect(answer.statusCode, answer.body).toBe(201);
    expect(answer.json().result).toMatchObject({ retry_of: first.uuid, trigger: "retry", params: first.params });
    const retried = await finished(answer.json().result.uuid);
    expect(retried).toMatchObject({ status: "succeeded", retry_of: first.uuid, message: null });

    // count did not run again; its outputs, results and provenance came over.
    expect([lines("count.log"), lines("flaky.log"), lines("gated.log")]).toEqual([1, 2, 0]);
    const after = await executions(retried.uuid);
    expect(after.count).toMatchObject({ status: "succeeded", reused_from: before.count.uuid, outputs: before.count.outputs });
    expect(after.count.message).toContain(`reused: succeeded in run ${first.uuid}`);
    expect(readFileSync(join(attemptResultsDir(s.config.dataDir, retried.uuid, "count", 1), "report.txt"), "utf8")).toBe("report\n");
    // flaky ran again, with the reused output as its input.
    expect(after.flaky).toMatchObject({ status: "succeeded", reused_from: null, outputs: { seen: "got 5\n" } });
    expect(after.gated).toMatchObject({ status: "skipped", message: "skipped: conditions not met", reused_from: null });
    // The run list shows the link too; the original run is left as it was.
    const listed = (await s.inject({ method: "GET", url: runs, headers: auth() })).json().result as Record<string, any>[];
    expect(listed.find((r) => r.uuid === retried.uuid)?.retry_of).toBe(first.uuid);
    expect((await executions(first.uuid)).flaky.status).toBe("failed");
  });

  it("refuses to retry a run that succeeded (409) and a run that does not exist (404)", async () => {
    const ok = (await s.inject({ method: "POST", url: `${W}/groups/lab/pipelines/p/events`, headers: auth(), payload: {} })).json().result;
    expect((await finished(ok.uuid)).status).toBe("succeeded");
    const again = await s.inject({ method: "POST", url: `${runs}/${ok.uuid}/retry`, headers: auth() });
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toMatch(/succeeded: there is nothing to retry \(rerun starts it again in full\)/);
    const missing = await s.inject({ method: "POST", url: `${runs}/00000000-0000-4000-8000-000000000000/retry`, headers: auth() });
    expect(missing.statusCode).toBe(404);
  });
});
