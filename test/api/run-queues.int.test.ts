import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, newUser, startTestServer, waitForRun, type TestServer } from "../support/api-server.js";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres.js";

/**
 * Concurrency limits and queues against a real server (issue 17): a pipeline's
 * max_concurrent_runs and pending_timeout, and a group's max_parallel_tasks, set and
 * observed through the API with real host processes, on SQLite and on PostgreSQL.
 */

const W = "/v3/workflows";
const b64 = (text: string) => Buffer.from(text).toString("base64");

/** Each task writes when it started and ended (ms), so overlaps are read from the processes themselves. */
function timedPipeline(id: string, profile: object, taskIds = ["work"], seconds = 0.4) {
  return {
    id,
    execution_profile: { runtime: "host", max_exec_time: 60, ...profile },
    tasks: taskIds.map((t) => ({
      id: t,
      type: "function",
      runtime: "bash",
      output: { span: { type: "string" } },
      code: b64(`start=$(date +%s%3N); sleep ${seconds}; printf "%s %s" "$start" "$(date +%s%3N)" > "$CAIRN_OUTPUTS_DIR/span"`),
    })),
  };
}

let postgres: PostgresServer | undefined;
afterAll(async () => {
  await postgres?.stop();
});

describeRunQueues("SQLite", async () => startTestServer({ overrides: { maxParallelTasks: 8 } }));
describeRunQueues("PostgreSQL", async () => {
  postgres = await startPostgres();
  return startTestServer({ databaseUrl: await createDatabase(postgres.url, "run_queues"), overrides: { maxParallelTasks: 8 } });
});

function describeRunQueues(store: string, makeServer: () => Promise<TestServer>): void {
  describe(`run queues and group task caps on ${store}`, () => {
    let server: TestServer;
    let owner: ApiClient;
    let member: ApiClient;
    const runsOf = (p: string) => `${W}/groups/rq/pipelines/${p}/runs`;

    beforeAll(async () => {
      server = await makeServer();
      const anon = new ApiClient(server.url);
      owner = await newUser(anon, "rq-owner");
      member = await newUser(anon, "rq-member");
      expect((await owner.post(`${W}/groups`, { id: "rq", users: [{ username: "rq-member" }] })).status).toBe(201);
    }, 120_000);
    afterAll(async () => {
      await server?.close();
    });

    async function spans(p: string, runUuid: string): Promise<[number, number][]> {
      const executions = (await owner.get(`${runsOf(p)}/${runUuid}/executions`)).body.result as { outputs: Record<string, string> }[];
      return executions.map((e) => e.outputs.span!.split(" ").map(Number) as [number, number]);
    }

    it("refuses a bad max_concurrent_runs or pending_timeout by field, and either on a task", async () => {
      const bad = await member.post(`${W}/groups/rq/pipelines`, timedPipeline("bad", { max_concurrent_runs: 0, pending_timeout: -1 }));
      expect(bad.status).toBe(400);
      expect(bad.text).toMatch(/execution_profile\.max_concurrent_runs/);
      expect(bad.text).toMatch(/execution_profile\.pending_timeout/);
      const onTask = timedPipeline("bad", {});
      (onTask.tasks[0] as Record<string, unknown>).execution_profile = { max_concurrent_runs: 1 };
      const refused = await member.post(`${W}/groups/rq/pipelines`, onTask);
      expect(refused.status).toBe(400);
      expect(refused.text).toMatch(/max_concurrent_runs/);
    });

    it("runs three runs submitted at once against a limit of 1 one at a time, first in first out, all succeeding", async () => {
      expect((await member.post(`${W}/groups/rq/pipelines`, timedPipeline("one-at-a-time", { max_concurrent_runs: 1 }))).status).toBe(201);
      const answers = await Promise.all([0, 1, 2].map(() => member.post(`${W}/groups/rq/pipelines/one-at-a-time/events`, {})));
      for (const a of answers) expect(a.status, a.text).toBe(201);
      const started = answers.map((a) => a.body.result as { uuid: string; status: string; created_at: string });
      expect(started.map((r) => r.status).sort()).toEqual(["pending", "pending", "running"]);
      const pendingList = (await owner.get(`${runsOf("one-at-a-time")}?status=pending`)).body.result as unknown[];
      expect(pendingList).toHaveLength(2);

      const ended = await Promise.all(started.map((r) => waitForRun(owner, `${runsOf("one-at-a-time")}/${r.uuid}`)));
      expect(ended.map((r) => r.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
      // The processes' own times: never two at once.
      const all = (await Promise.all(started.map((r) => spans("one-at-a-time", r.uuid)))).flat().sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < all.length; i++) expect(all[i]![0]).toBeGreaterThanOrEqual(all[i - 1]![1]);
      // Started in the order they were recorded.
      const byCreation = [...ended].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || (a.uuid < b.uuid ? -1 : 1));
      const byStart = [...ended].sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at));
      expect(byStart.map((r) => r.uuid)).toEqual(byCreation.map((r) => r.uuid));
    }, 60_000);

    it("cancels a pending run on request and one that waited past pending_timeout, with the reason", async () => {
      expect((await member.post(`${W}/groups/rq/pipelines`, timedPipeline("queued", { max_concurrent_runs: 1, pending_timeout: 1 }, ["work"], 3))).status).toBe(201);
      const first = (await member.post(`${W}/groups/rq/pipelines/queued/events`, {})).body.result;
      const second = (await member.post(`${W}/groups/rq/pipelines/queued/events`, {})).body.result;
      const third = (await member.post(`${W}/groups/rq/pipelines/queued/events`, {})).body.result;
      expect([first.status, second.status, third.status]).toEqual(["running", "pending", "pending"]);
      const cancel = await member.post(`${runsOf("queued")}/${second.uuid}/cancel`);
      expect(cancel.status).toBe(200);
      expect(cancel.body.result).toMatchObject({ status: "cancelled", message: "the run was cancelled while it was pending", started_at: null });
      const timedOut = await waitForRun(owner, `${runsOf("queued")}/${third.uuid}`, 10_000);
      expect(timedOut.status).toBe("cancelled");
      expect(timedOut.message).toMatch(/^pending_timeout: waited more than 1 s/);
      const executions = (await owner.get(`${runsOf("queued")}/${third.uuid}/executions`)).body.result as { status: string }[];
      expect(executions.map((e) => e.status)).toEqual(["cancelled"]);
      expect((await waitForRun(owner, `${runsOf("queued")}/${first.uuid}`)).status).toBe("succeeded");
    }, 60_000);

    it("lets a group admin set max_parallel_tasks, refuses bad values by name, and the cap holds", async () => {
      const path = `${W}/groups/rq`;
      expect((await owner.get(path)).body.result.max_parallel_tasks).toBeNull();
      expect((await member.patch(path, { max_parallel_tasks: 2 })).status).toBe(403);
      for (const bad of [0, -3, 1.5, "2", 1_000_000]) {
        const answer = await owner.patch(path, { max_parallel_tasks: bad });
        expect(answer.status, `${bad}: ${answer.text}`).toBe(400);
        expect(answer.text).toMatch(/max_parallel_tasks/);
      }
      expect((await owner.patch(path, {})).status).toBe(400);
      const set = await owner.patch(path, { max_parallel_tasks: 2 });
      expect(set.status, set.text).toBe(200);
      expect(set.body.result.max_parallel_tasks).toBe(2);
      expect((await member.get(path)).body.result.max_parallel_tasks).toBe(2);

      // Two runs of a fan of four: eight tasks, the server runs 8 at once, the group 2.
      const fan = ["a", "b", "c", "d"];
      expect((await member.post(`${W}/groups/rq/pipelines`, timedPipeline("fan", {}, fan, 0.3))).status).toBe(201);
      const runs = await Promise.all([0, 1].map(async () => (await member.post(`${W}/groups/rq/pipelines/fan/events`, {})).body.result.uuid as string));
      for (const uuid of runs) expect((await waitForRun(owner, `${runsOf("fan")}/${uuid}`)).status).toBe("succeeded");
      const all = (await Promise.all(runs.map((uuid) => spans("fan", uuid)))).flat();
      const most = Math.max(...all.map(([start]) => all.filter(([s, e]) => s <= start && start < e).length));
      expect(most).toBe(2);

      expect((await owner.patch(path, { max_parallel_tasks: null })).body.result.max_parallel_tasks).toBeNull();
    }, 60_000);
  });
}
