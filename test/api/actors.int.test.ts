import { execFileSync } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../packages/cairn/src/api/start-server.js";
import { loadConfig } from "../../packages/cairn/src/config.js";
import { stopPodmanService } from "../../packages/cairn/src/docker-api/engine-endpoint.js";
import { ADMIN_PASSWORD, ApiClient, newUser, startTestServer, waitForRun, type TestServer } from "../support/api-server.js";

/**
 * Actors (issue 16) on a real server and real Podman: messages run in the order they
 * came, never more at once than max_workers (from the times the server recorded), each
 * container gets MSG, /cairn/inputs/MSG and the _abaco_ ids and hands back
 * /cairn/outputs/result; a failing actor's execution is ERROR with its exit code; a
 * pipeline's tapis_actor task feeds its result to the next task, fails with its actor,
 * and takes its execution with it when cancelled; a restarted server runs what was queued.
 */

const W = "/v3/workflows";
const IMAGE = "localhost/busybox:test";
/** Prints the message from both places, the ids, and writes the result. */
const ECHO = ["sh", "-c", 'echo "env:$MSG"; echo "file:$(cat /cairn/inputs/MSG)"; echo "ids:$_abaco_actor_id:$_abaco_execution_id"; printf "got %s" "$MSG" > /cairn/outputs/result'];

interface Execution {
  id: string;
  status: string;
  exit_code: number | null;
  error: string | null;
  message_received_at: string;
  started_at: string | null;
  ended_at: string | null;
}

async function waitForExecutions(client: ApiClient, actorPath: string, ids: string[], timeoutMs = 120_000): Promise<Execution[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.get(`${actorPath}/executions`);
    expect(res.status, res.text).toBe(200);
    const all = res.body.result as Execution[];
    const wanted = ids.map((id) => all.find((e) => e.id === id)!);
    if (wanted.every((e) => e && (e.status === "COMPLETED" || e.status === "ERROR"))) return wanted;
    if (Date.now() > deadline) throw new Error(`executions still ${JSON.stringify(wanted.map((e) => e?.status))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The most executions running at one instant, from their recorded start and end. */
function mostAtOnce(executions: Execution[]): number {
  const events = executions.flatMap((e) => [
    { at: Date.parse(e.started_at!), delta: 1 },
    { at: Date.parse(e.ended_at!), delta: -1 },
  ]);
  // An end at the same millisecond as a start frees its worker first.
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let now = 0;
  let most = 0;
  for (const e of events) most = Math.max(most, (now += e.delta));
  return most;
}

describe("actors on Podman", () => {
  let server: TestServer;
  let alice: ApiClient;
  let bob: ApiClient;
  const group = `${W}/groups/actlab`;

  beforeAll(async () => {
    server = await startTestServer();
    const anon = new ApiClient(server.url);
    alice = await newUser(anon, "actor-alice");
    bob = await newUser(anon, "actor-bob");
    expect((await alice.post(`${W}/groups`, { id: "actlab", users: [{ username: "actor-bob" }] })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("refuses bad actors, naming the field", async () => {
    const bad = async (body: unknown, field: string) => {
      const res = await alice.post(`${group}/actors`, body);
      expect(res.status, res.text).toBe(400);
      expect(res.text).toContain(field);
    };
    await bad({ id: "x", image: IMAGE, max_workers: 0 }, "max_workers");
    await bad({ id: "x", image: IMAGE, default_environment: { MSG: "mine" } }, "default_environment");
    await bad({ id: "x", image: "" }, "image");
    await bad({ id: "x", image: IMAGE, extra: 1 }, "extra");
    expect((await alice.post(`${group}/actors`, { id: "dup", image: IMAGE })).status).toBe(201);
    expect((await alice.post(`${group}/actors`, { id: "dup", image: IMAGE })).status).toBe(409);
    for (const body of [{}, { message: null }, { message: "x".repeat(64 * 1024 + 1) }, { message: "a\u0000b" }]) {
      const res = await alice.post(`${group}/actors/dup/messages`, body);
      expect(res.status, res.text).toBe(400);
      expect(res.text).toContain("message");
    }
    expect((await alice.post(`${group}/actors/nobody/messages`, { message: "x" })).status).toBe(404);
    // Only its owner or an admin changes it.
    expect((await bob.put(`${group}/actors/dup`, { image: IMAGE, max_workers: 3 })).status).toBe(403);
    const changed = await alice.put(`${group}/actors/dup`, { image: IMAGE, max_workers: 3, description: "changed" });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body.result).toMatchObject({ id: "dup", max_workers: 3, description: "changed", owner: "actor-alice" });
    expect((await bob.delete(`${group}/actors/dup`)).status).toBe(403);
    expect((await alice.delete(`${group}/actors/dup`)).status).toBe(200);
    expect((await alice.get(`${group}/actors/dup`)).status).toBe(404);
  });

  it("runs one actor's messages one at a time, in the order they came, with MSG, the ids and a result", async () => {
    const made = await alice.post(`${group}/actors`, { id: "seq", image: IMAGE, command: ECHO, default_environment: { GREETING: "hi" } });
    expect(made.status, made.text).toBe(201);
    expect(made.body.result).toMatchObject({ id: "seq", max_workers: 1, command: ECHO, default_environment: { GREETING: "hi" } });
    const ids: string[] = [];
    for (const message of ["m1", "m2", "m3", { n: 4 }]) {
      const sent = await bob.post(`${group}/actors/seq/messages`, { message });
      expect(sent.status, sent.text).toBe(201);
      ids.push(sent.body.result.execution_id);
    }
    const done = await waitForExecutions(alice, `${group}/actors/seq`, ids);
    expect(done.map((e) => e.status)).toEqual(["COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED"]);
    expect(done.map((e) => e.exit_code)).toEqual([0, 0, 0, 0]);
    // In order, and each after the one before had ended.
    for (let i = 1; i < done.length; i++) expect(Date.parse(done[i]!.started_at!)).toBeGreaterThanOrEqual(Date.parse(done[i - 1]!.ended_at!));
    expect(mostAtOnce(done)).toBe(1);

    const logs = await alice.get(`${group}/actors/seq/executions/${ids[0]}/logs`);
    expect(logs.body.result.logs).toBe(`env:m1\nfile:m1\nids:seq:${ids[0]}\n`);
    const result = await alice.get(`${group}/actors/seq/executions/${ids[3]}/result`);
    expect(result.status).toBe(200);
    expect(result.text).toBe('got {"n":4}');
    const one = await alice.get(`${group}/actors/seq/executions/${ids[1]}`);
    expect(one.body.result).toMatchObject({ id: ids[1], status: "COMPLETED", exit_code: 0, error: null });
    // Another actor's path does not find it.
    expect((await alice.post(`${group}/actors`, { id: "other", image: IMAGE })).status).toBe(201);
    expect((await alice.get(`${group}/actors/other/executions/${ids[1]}`)).status).toBe(404);
  });

  it("never runs more than max_workers of an actor's messages at once, and uses them all", async () => {
    const sleeper = ["sh", "-c", "sleep 2; echo done"];
    expect((await alice.post(`${group}/actors`, { id: "pair", image: IMAGE, command: sleeper, max_workers: 2 })).status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await alice.post(`${group}/actors/pair/messages`, { message: `p${i}` })).body.result.execution_id);
    const done = await waitForExecutions(alice, `${group}/actors/pair`, ids);
    expect(done.every((e) => e.status === "COMPLETED")).toBe(true);
    expect(mostAtOnce(done)).toBe(2);
    // Started in the order they came.
    const starts = done.map((e) => Date.parse(e.started_at!));
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
  });

  it("records a failing actor's execution as ERROR with its exit code and what it printed; no result is served", async () => {
    expect((await alice.post(`${group}/actors`, { id: "broken", image: IMAGE, command: ["sh", "-c", "echo oops >&2; exit 3"] })).status).toBe(201);
    const id = (await alice.post(`${group}/actors/broken/messages`, { message: "x" })).body.result.execution_id;
    const [done] = await waitForExecutions(alice, `${group}/actors/broken`, [id]);
    expect(done).toMatchObject({ status: "ERROR", exit_code: 3, error: "exited with code 3" });
    expect((await alice.get(`${group}/actors/broken/executions/${id}/logs`)).body.result.logs).toBe("oops\n");
    expect((await alice.get(`${group}/actors/broken/executions/${id}/result`)).status).toBe(404);
    // An actor with a missing image fails its execution, naming the image.
    expect((await alice.post(`${group}/actors`, { id: "ghost", image: "localhost/cairn-actors-test/no-such-image:1" })).status).toBe(201);
    const ghost = (await alice.post(`${group}/actors/ghost/messages`, { message: "x" })).body.result.execution_id;
    const [lost] = await waitForExecutions(alice, `${group}/actors/ghost`, [ghost]);
    expect(lost).toMatchObject({ status: "ERROR", exit_code: null });
    expect(lost!.error).toContain("no-such-image");
  });

  it("runs a pipeline whose tapis_actor task's result feeds the next task", async () => {
    const pipeline = {
      id: "with-actor",
      tasks: [
        { id: "ask", type: "tapis_actor", tapis_actor_id: "seq", tapis_actor_message: "from the pipeline" },
        {
          id: "use",
          type: "container_run",
          image: IMAGE,
          depends_on: [{ id: "ask" }],
          input: { ANSWER: { type: "string", value_from: { task_output: { task_id: "ask", output_id: "result" } } } },
          command: ["sh", "-c", 'printf "%s!" "$ANSWER" > /cairn/outputs/final'],
          output: { final: { type: "string" } },
        },
        { id: "fire", type: "tapis_actor", tapis_actor_id: "seq", poll: false, depends_on: [{ id: "use" }], input: { MSG: { type: "string", value_from: { task_output: { task_id: "use", output_id: "final" } } } } },
      ],
    };
    const created = await bob.post(`${group}/pipelines`, pipeline);
    expect(created.status, created.text).toBe(201);
    const started = await bob.post(`${group}/pipelines/with-actor/events`, {});
    const runPath = `${group}/pipelines/with-actor/runs/${started.body.result.uuid}`;
    expect(await waitForRun(bob, runPath, 120_000)).toMatchObject({ status: "succeeded" });
    const executions = (await bob.get(`${runPath}/executions`)).body.result as { task_id: string; outputs: Record<string, string> }[];
    const ask = executions.find((e) => e.task_id === "ask")!;
    expect(ask.outputs).toMatchObject({ STATUS: "COMPLETED", result: "got from the pipeline" });
    expect(ask.outputs.stdout).toContain("env:from the pipeline\n");
    expect(ask.outputs.stdout).toContain(`ids:seq:${ask.outputs.EXECUTION_ID}`);
    expect(executions.find((e) => e.task_id === "use")!.outputs.final).toBe("got from the pipeline!");
    // poll: false succeeds once queued; its message (the input MSG) runs all the same.
    const fire = executions.find((e) => e.task_id === "fire")!;
    expect(fire.outputs.STATUS).toBe("SUBMITTED");
    const [fired] = await waitForExecutions(bob, `${group}/actors/seq`, [fire.outputs.EXECUTION_ID!]);
    expect(fired!.status).toBe("COMPLETED");
    expect((await bob.get(`${group}/actors/seq/executions/${fired!.id}/result`)).text).toBe("got got from the pipeline!");
  });

  it("refuses a pipeline naming an actor its group lacks, and fails a run whose actor fails", async () => {
    const unknown = await bob.post(`${group}/pipelines`, { id: "no-actor", tasks: [{ id: "a", type: "tapis_actor", tapis_actor_id: "nobody" }] });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain("tasks[0].tapis_actor_id");
    expect(unknown.text).toContain("has no actor 'nobody'");
    expect((await bob.post(`${group}/pipelines`, { id: "fails", tasks: [{ id: "a", type: "tapis_actor", tapis_actor_id: "broken" }] })).status).toBe(201);
    const started = await bob.post(`${group}/pipelines/fails/events`, {});
    const run = await waitForRun(bob, `${group}/pipelines/fails/runs/${started.body.result.uuid}`, 120_000);
    expect(run.status).toBe("failed");
    const [execution] = (await bob.get(`${group}/pipelines/fails/runs/${run.uuid}/executions`)).body.result;
    expect(execution.message).toContain("ended in ERROR: exited with code 3");
  });

  it("cancels the actor's execution with the run", async () => {
    expect((await alice.post(`${group}/actors`, { id: "long", image: IMAGE, command: ["sleep", "300"] })).status).toBe(201);
    expect((await alice.post(`${group}/pipelines`, { id: "long-ask", tasks: [{ id: "a", type: "tapis_actor", tapis_actor_id: "long" }] })).status).toBe(201);
    const started = await alice.post(`${group}/pipelines/long-ask/events`, {});
    const runPath = `${group}/pipelines/long-ask/runs/${started.body.result.uuid}`;
    let running: Execution | undefined;
    for (let i = 0; i < 600 && !running; i++) {
      running = ((await alice.get(`${group}/actors/long/executions`)).body.result as Execution[]).find((e) => e.status === "RUNNING");
      if (!running) await new Promise((r) => setTimeout(r, 100));
    }
    expect(running).toBeDefined();
    const t0 = Date.now();
    expect((await alice.post(`${runPath}/cancel`)).status).toBe(200);
    expect(await waitForRun(alice, runPath)).toMatchObject({ status: "cancelled" });
    const [ended] = await waitForExecutions(alice, `${group}/actors/long`, [running!.id], 30_000);
    expect(ended).toMatchObject({ status: "ERROR", error: "cancelled" });
    expect(Date.now() - t0).toBeLessThan(20_000);
    // With nothing queued or running it can go.
    expect((await alice.delete(`${group}/actors/long`)).status).toBe(200);
  });

  it("stops a deleted group's actor containers and removes their executions' files", async () => {
    expect((await alice.post(`${W}/groups`, { id: "actdoomed" })).status).toBe(201);
    expect((await alice.post(`${W}/groups/actdoomed/actors`, { id: "long", image: IMAGE, command: ["sleep", "300"] })).status).toBe(201);
    const id = (await alice.post(`${W}/groups/actdoomed/actors/long/messages`, { message: "x" })).body.result.execution_id as string;
    const containers = () => execFileSync("podman", ["ps", "-a", "-q", "--filter", `label=cairn.execution=${id}`], { encoding: "utf8" }).trim();
    for (let i = 0; i < 600 && containers() === ""; i++) await new Promise((r) => setTimeout(r, 100));
    expect(containers()).not.toBe("");
    expect((await alice.delete(`${W}/groups/actdoomed`)).status).toBe(200);
    for (let i = 0; i < 100 && containers() !== ""; i++) await new Promise((r) => setTimeout(r, 100));
    expect(containers()).toBe("");
    await expect(stat(join(server.dataDir, "actor-executions", id))).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("an actor's image, as its group may run it", () => {
  let server: TestServer;
  let ada: ApiClient;
  let eve: ApiClient;
  let digest: string;

  beforeAll(async () => {
    server = await startTestServer();
    const anon = new ApiClient(server.url);
    ada = await newUser(anon, "actimg-ada");
    eve = await newUser(anon, "actimg-eve");
    expect((await ada.post(`${W}/groups`, { id: "actimg-a", users: [] })).status).toBe(201);
    expect((await eve.post(`${W}/groups`, { id: "actimg-b", users: [] })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
    const names = execFileSync("podman", ["images", "--format", "{{.Repository}}:{{.Tag}}"], { encoding: "utf8" })
      .split("\n")
      .filter((n) => n.startsWith("localhost/cairn/actimg-a/"));
    if (names.length > 0) execFileSync("podman", ["rmi", "--force", ...names], { stdio: "ignore" });
  });

  it("refuses another group's image when the actor is made, and at its execution once the share is withdrawn", async () => {
    const build = {
      id: "build",
      tasks: [
        {
          id: "build",
          type: "image_build",
          builder: "podman",
          context: { type: "inline", dockerfile: `FROM ${IMAGE}\nRUN echo made-by-a > /who\n` },
          destination: { type: "local", url: "actors-test/tool", tag: "1" },
        },
      ],
    };
    expect((await ada.post(`${W}/groups/actimg-a/pipelines`, build)).status).toBe(201);
    const started = await ada.post(`${W}/groups/actimg-a/pipelines/build/events`, {});
    const runPath = `${W}/groups/actimg-a/pipelines/build/runs/${started.body.result.uuid}`;
    expect(await waitForRun(ada, runPath, 180_000)).toMatchObject({ status: "succeeded" });
    digest = (await ada.get(`${runPath}/executions`)).body.result[0].outputs.image_id;

    const actor = { id: "theirs", image: digest, command: ["cat", "/who"] };
    const refused = await eve.post(`${W}/groups/actimg-b/actors`, actor);
    expect(refused.status, refused.text).toBe(400);
    expect(refused.body.result.issues[0]).toMatchObject({ path: "image" });
    expect(refused.text).toContain("belongs to group 'actimg-a', which has not shared it with group 'actimg-b'");
    // Group A's own actor runs it.
    expect((await ada.post(`${W}/groups/actimg-a/actors`, actor)).status).toBe(201);

    // Shared: group B may make the actor; withdrawn: its next execution is refused, and nothing of the image ran.
    expect((await ada.post(`${W}/groups/actimg-a/images/${digest}/shares`, { group_id: "actimg-b" })).status).toBe(201);
    expect((await eve.post(`${W}/groups/actimg-b/actors`, actor)).status).toBe(201);
    expect((await ada.delete(`${W}/groups/actimg-a/images/${digest}/shares/actimg-b`)).status).toBe(200);
    const sent = await eve.post(`${W}/groups/actimg-b/actors/theirs/messages`, { message: "x" });
    const [ended] = await waitForExecutions(eve, `${W}/groups/actimg-b/actors/theirs`, [sent.body.result.execution_id]);
    expect(ended).toMatchObject({ status: "ERROR", exit_code: null });
    expect(ended!.error).toContain("has not shared it with group 'actimg-b'");
    expect((await eve.get(`${W}/groups/actimg-b/actors/theirs/executions/${ended!.id}/logs`)).body.result.logs).not.toContain("made-by-a");
  });
});

describe("actors across a restart", () => {
  let dataDir: string | undefined;
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.close();
    if (dataDir) {
      await stopPodmanService(join(dataDir, "podman", "podman.sock"));
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("ends the execution a stopped server was running as ERROR, fails the task that sent it without sending it again, and the next server runs the queued ones in order", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cairn-actors-restart-"));
    const config = loadConfig({ dataDir, host: "127.0.0.1", port: 0, adminPassword: ADMIN_PASSWORD, podmanSocket: join(dataDir, "podman", "podman.sock"), dockerHost: undefined }, {});
    const login = async (url: string) => {
      const anon = new ApiClient(url);
      const token = await anon.post("/v3/oauth2/tokens", { username: "admin", password: ADMIN_PASSWORD, grant_type: "password" });
      return anon.as(token.body.result.access_token.access_token);
    };
    server = await startServer(config);
    let admin = await login(server.url);
    expect((await admin.post(`${W}/groups`, { id: "lab" })).status).toBe(201);
    const actor = `${W}/groups/lab/actors/slow`;
    const command = ["sh", "-c", 'if [ "$MSG" = first ]; then sleep 300; fi; printf "%s" "$MSG" > /cairn/outputs/result'];
    expect((await admin.post(`${W}/groups/lab/actors`, { id: "slow", image: IMAGE, command })).status).toBe(201);
    // The first message comes from a pipeline's task, which waits for it across the restart.
    expect((await admin.post(`${W}/groups/lab/pipelines`, { id: "ask", tasks: [{ id: "a", type: "tapis_actor", tapis_actor_id: "slow", tapis_actor_message: "first" }] })).status).toBe(201);
    const started = await admin.post(`${W}/groups/lab/pipelines/ask/events`, {});
    const runPath = `${W}/groups/lab/pipelines/ask/runs/${started.body.result.uuid}`;
    let first: Execution | undefined;
    for (let i = 0; i < 600 && first?.status !== "RUNNING"; i++) {
      first = ((await admin.get(`${actor}/executions`)).body.result as Execution[])[0];
      if (first?.status !== "RUNNING") await new Promise((r) => setTimeout(r, 100));
    }
    expect(first?.status).toBe("RUNNING");
    const ids = [first!.id];
    for (const message of ["second", "third"]) ids.push((await admin.post(`${actor}/messages`, { message })).body.result.execution_id);
    await server.close();
    server = undefined;

    server = await startServer(config);
    admin = await login(server.url);
    const done = await waitForExecutions(admin, actor, ids, 60_000);
    expect(done.map((e) => e.status)).toEqual(["ERROR", "COMPLETED", "COMPLETED"]);
    expect(done[0]!.error).toContain("stopped");
    expect(Date.parse(done[2]!.started_at!)).toBeGreaterThanOrEqual(Date.parse(done[1]!.ended_at!));
    expect((await admin.get(`${actor}/executions/${ids[2]}/result`)).text).toBe("third");
    // The task followed its execution after the restart: it failed with it, and sent nothing more.
    const run = await waitForRun(admin, runPath, 60_000);
    expect(run.status).toBe("failed");
    const [task] = (await admin.get(`${runPath}/executions`)).body.result;
    expect(task.message).toContain(`execution ${ids[0]} ended in ERROR`);
    expect(((await admin.get(`${actor}/executions`)).body.result as Execution[]).map((e) => e.id)).toEqual(ids);
  });
});
