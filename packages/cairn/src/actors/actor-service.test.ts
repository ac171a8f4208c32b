import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeRuntime } from "../../../../test/support/fake-runtime.js";
import { createStore } from "../store/create-store.js";
import type { ActorRecord } from "../store/service-store.js";
import type { Store } from "../store/store.js";
import { actorExecutionFolders } from "../workspace/actor-files.js";
import { ActorService, LOST_EXECUTION } from "./actor-service.js";

/**
 * The dispatcher over a real store and a FakeRuntime: what a server that died mid-execution
 * leaves (a RUNNING execution whose lease ran out) is ended as ERROR and its container
 * removed, and the queue behind it runs. Its real twin is test/api/actors.int.test.ts
 * ("actors across a restart"), on Podman.
 */

let dir: string;
let store: Store;
let service: ActorService | undefined;

const actor: ActorRecord = {
  uuid: randomUUID(),
  groupId: "lab",
  id: "echo",
  owner: "ada",
  image: "localhost/busybox:test",
  command: ["sh", "-c", "echo $MSG"],
  defaultEnvironment: { MSG: "hidden", KEEP: "1" },
  description: null,
  maxWorkers: 1,
  createdAt: 1,
  updatedAt: 1,
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cairn-actor-service-"));
  store = await createStore({ sqlitePath: join(dir, "cairn.db") });
  await store.service.createGroup({ id: "lab", uuid: randomUUID(), owner: "ada", createdAt: 1 }, [{ uuid: randomUUID(), groupId: "lab", username: "ada", role: "owner" }]);
  await store.service.createActor(actor);
});

afterEach(async () => {
  await service?.close();
  service = undefined;
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("timed out");
}

describe("ActorService", () => {
  it("ends what a dead server left running once its lease is out, removes its container, and runs the queue behind it", async () => {
    const send = (uuid: string, message: string) => store.service.addActorExecution({ uuid, groupId: "lab", actorId: "echo", message, createdAt: Date.now(), taskExecutionUuid: null });
    await send("dead-one", "first");
    await send("queued-one", "second");
    // A server that died while running it: claimed, lease long out.
    expect(await store.service.claimActorExecution("dead-one", "dead-server", 10, 20)).toBe(true);

    const runtime = new FakeRuntime("container", (_spec, log) => {
      log("printed");
      return 0;
    });
    service = new ActorService({ store, dataDir: dir, imageCacheDir: join(dir, "images"), container: async () => runtime }).start();
    const done = await service.waitFor("queued-one");
    expect(done).toMatchObject({ status: "COMPLETED", exitCode: 0 });
    expect(await store.service.getActorExecution("dead-one")).toMatchObject({ status: "ERROR", error: LOST_EXECUTION });
    expect(runtime.released).toContain("dead-one");

    // The message wins over the actor's environment; the ids are Abaco's names.
    expect(runtime.started).toHaveLength(1);
    const [spec] = runtime.started;
    expect(spec!.env).toMatchObject({ MSG: "second", KEEP: "1", _abaco_actor_id: "echo", _abaco_execution_id: "queued-one" });
    expect(spec!.command).toEqual(actor.command);
    expect(spec!.network).toBeUndefined();
    expect(spec!.mounts).toEqual([
      { hostPath: actorExecutionFolders(dir, "queued-one").inputs, containerPath: "/cairn/inputs", readOnly: true },
      { hostPath: actorExecutionFolders(dir, "queued-one").outputs, containerPath: "/cairn/outputs", readOnly: false },
    ]);
    expect(await readFile(join(actorExecutionFolders(dir, "queued-one").inputs, "MSG"), "utf8")).toBe("second");
    expect(await service.logOf("queued-one")).toBe("printed\n");
  });

  it("leaves a live holder's execution alone, and never starts more than max_workers", async () => {
    const send = (uuid: string) => store.service.addActorExecution({ uuid, groupId: "lab", actorId: "echo", message: uuid, createdAt: Date.now(), taskExecutionUuid: null });
    await send("held");
    await send("waits");
    expect(await store.service.claimActorExecution("held", "other-server", Date.now(), Date.now() + 60_000)).toBe(true);
    const runtime = new FakeRuntime("container");
    service = new ActorService({ store, dataDir: dir, imageCacheDir: join(dir, "images"), container: async () => runtime }).start();
    await new Promise((r) => setTimeout(r, 300));
    expect(runtime.started).toHaveLength(0);
    expect(await store.service.getActorExecution("held")).toMatchObject({ status: "RUNNING" });
    // The other server ends it: the next one starts.
    await store.service.finishActorExecution("held", { status: "COMPLETED", exitCode: 0, error: null, endedAt: Date.now() });
    await until(async () => (await store.service.getActorExecution("waits"))?.status === "COMPLETED");
    expect(runtime.started.map((s) => s.env.MSG)).toEqual(["waits"]);
  });

  it("cancels a queued execution before it starts, and a running one by stopping its container", async () => {
    const runtime = new FakeRuntime("container", () => "hang");
    service = new ActorService({ store, dataDir: dir, imageCacheDir: join(dir, "images"), container: async () => runtime }).start();
    const first = await service.send(actor, "one");
    const second = await service.send(actor, "two");
    await until(async () => runtime.started.length === 1);
    await service.cancel(second.uuid);
    expect(await store.service.getActorExecution(second.uuid)).toMatchObject({ status: "ERROR", error: "cancelled" });
    await service.cancel(first.uuid);
    expect(runtime.processes[0]!.killCalls).toBe(1);
    expect(await service.waitFor(first.uuid)).toMatchObject({ status: "ERROR", error: "cancelled" });
    expect(runtime.started).toHaveLength(1);
  });
});
