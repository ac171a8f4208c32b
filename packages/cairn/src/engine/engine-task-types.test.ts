import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeRuntime } from "../../../../test/support/fake-runtime.js";
import { ActorService } from "../actors/actor-service.js";
import { loadConfig, type CairnConfig } from "../config.js";
import { parsePipeline } from "../spec/validate.js";
import { createStore } from "../store/create-store.js";
import type { Store } from "../store/store.js";
import { defaultTaskHandlers } from "../tasks/registry.js";
import { Engine } from "./engine.js";

/**
 * Which task types an engine runs (issue 16): tapis_actor where it has actors (a server),
 * not where it has none (a local run), and tapis_job where it has the Slurm handler; and a tapis_actor task
 * run end to end through the engine over a FakeRuntime (its real twin:
 * test/api/actors.int.test.ts on Podman).
 */

let dataDir: string;
let config: CairnConfig;
let store: Store;
const closers: Array<() => Promise<void>> = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "cairn-engine-types-"));
  config = loadConfig({ dataDir, keepWorkDirs: false }, {});
  store = await createStore({ sqlitePath: join(dataDir, "cairn.db") });
  await store.service.createGroup({ id: "lab", uuid: randomUUID(), owner: "ada", createdAt: 1 }, [{ uuid: randomUUID(), groupId: "lab", username: "ada", role: "owner" }]);
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

function engineWith(runtime: FakeRuntime, withActors: boolean): Engine {
  const runtimes = { container: async () => runtime, host: runtime };
  const actors = withActors ? new ActorService({ store, dataDir, imageCacheDir: config.imageCacheDir, container: runtimes.container }).start() : undefined;
  const engine = new Engine({ store, config, runtimes, handlers: defaultTaskHandlers(), ...(actors ? { actors } : {}) });
  closers.push(async () => {
    await engine.close();
    await actors?.close();
  });
  return engine;
}

const actorTask = (extra: object = {}) => ({ id: "ask", type: "tapis_actor", tapis_actor_id: "echo", ...extra });

describe("task types an engine runs", () => {
  it("takes tapis_actor tasks with actors, refuses them without, and tapis_job only with its handler", () => {
    const withActors = engineWith(new FakeRuntime("container"), true);
    const without = engineWith(new FakeRuntime("container"), false);
    const actor = parsePipeline({ id: "p", tasks: [actorTask()] });
    expect(() => withActors.checkRunnable(actor)).not.toThrow();
    expect(() => without.checkRunnable(actor)).toThrow(/tapis_actor tasks message a group's actors, which only a Cairn server has/);
    // defaultTaskHandlers() without the store's apps and systems has no tapis_job handler (open-cairn.ts gives it them).
    const job = parsePipeline({ id: "p", tasks: [{ id: "j", type: "tapis_job", tapis_job_def: { appId: "sleeper" } }] });
    expect(() => withActors.checkRunnable(job)).toThrow(/task type 'tapis_job' is not available on this server yet/);
  });

  it("runs a tapis_actor task: its message from the input MSG, its outputs from the execution", async () => {
    await store.service.createActor({
      uuid: randomUUID(),
      groupId: "lab",
      id: "echo",
      owner: "ada",
      image: "localhost/busybox:test",
      command: null,
      defaultEnvironment: {},
      description: null,
      maxWorkers: 1,
      createdAt: 1,
      updatedAt: 1,
    });
    const runtime = new FakeRuntime("container", (spec, log) => {
      log(`got ${spec.env.MSG}`);
      writeFileSync(join(spec.mounts.find((m) => m.containerPath === "/cairn/outputs")!.hostPath, "result"), `result of ${spec.env.MSG}`);
      return spec.env.MSG === "fail" ? 2 : 0;
    });
    const engine = engineWith(runtime, true);
    const pipeline = parsePipeline({
      id: "p",
      tasks: [
        actorTask({ input: { MSG: { type: "string", value: "from input" } } }),
        actorTask({ id: "json", tapis_actor_message: { a: [1] }, poll: false }),
        actorTask({ id: "bad", tapis_actor_message: "fail", depends_on: [{ id: "ask" }] }),
      ],
    });
    const run = await engine.startRun({ pipeline, groupId: "lab" });
    expect((await engine.waitForRun(run.uuid)).status).toBe("failed");
    const executions = await store.listExecutions(run.uuid);
    const of = (id: string) => executions.find((e) => e.taskId === id)!;
    expect(of("ask").status).toBe("succeeded");
    expect(of("ask").outputs).toMatchObject({ STATUS: "COMPLETED", stdout: "got from input\n", result: "result of from input" });
    expect(of("json").outputs).toMatchObject({ STATUS: "SUBMITTED" });
    expect(of("bad")).toMatchObject({ status: "failed", exitCode: 2 });
    expect(of("bad").message).toContain("ended in ERROR: exited with code 2");
    // The execution names the task execution that sent it, for a restart to follow.
    const sent = await store.service.getActorExecution(of("ask").outputs.EXECUTION_ID!);
    expect(sent).toMatchObject({ taskExecutionUuid: of("ask").uuid, message: "from input" });
    const json = await store.service.getActorExecution(of("json").outputs.EXECUTION_ID!);
    expect(json?.message).toBe('{"a":[1]}');
  });
});
