import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../config.js";
import { stopPodmanService } from "../../docker-api/engine-endpoint.js";
import { openCairn, type Cairn } from "../../open-cairn.js";
import { parsePipeline } from "../../spec/index.js";

/**
 * The task cache with a container task on real Podman (a private API service on a private
 * socket): the image's id is in the key, so the same name pointing at another image is a
 * miss, and marking the image bad invalidates what it made. The images are this test's own
 * names (busybox retagged, and one built from it); only those names are removed after.
 */

const BASE = "localhost/busybox:test";
const NAME = `localhost/cairn-cache-test-${process.pid}:v1`;
const OTHER = `localhost/cairn-cache-test-${process.pid}-other:v1`;
let scratch: string;
let cairn: Cairn;

const podman = (...args: string[]) => execFileSync("podman", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

beforeAll(async () => {
  try {
    podman("image", "exists", BASE);
  } catch {
    execFileSync("bash", [join(import.meta.dirname, "../../../../../scripts/setup-podman.sh")], { stdio: "inherit" });
  }
  scratch = await mkdtemp(join(tmpdir(), "cairn-cache-containers-"));
  podman("tag", BASE, NAME);
  // Another image: busybox with a label of this test's own, so its id differs.
  await writeFile(join(scratch, "Containerfile"), `FROM ${BASE}\nLABEL cairn-cache-test=${process.pid}\n`);
  podman("build", "-q", "-t", OTHER, "-f", join(scratch, "Containerfile"), scratch);
  cairn = await openCairn(loadConfig({ dataDir: join(scratch, "data"), dockerHost: undefined, podmanSocket: join(scratch, "podman", "podman.sock") }), {});
}, 180_000);

afterAll(async () => {
  await cairn?.close();
  await stopPodmanService(join(scratch, "podman", "podman.sock"));
  for (const name of [NAME, OTHER]) {
    try {
      podman("untag", name);
    } catch {
      // already gone
    }
  }
  // The image this test built (found by its own label): nothing else uses it.
  for (const id of podman("images", "-q", "--filter", `label=cairn-cache-test=${process.pid}`).split("\n").filter(Boolean)) {
    try {
      podman("rmi", id);
    } catch {
      // in use by a container being removed, or gone
    }
  }
  await rm(scratch, { recursive: true, force: true });
});

const pipeline = parsePipeline({
  id: "boxed",
  tasks: [
    {
      id: "roll",
      type: "container_run",
      image: NAME,
      command: ["sh", "-c", "cat /proc/sys/kernel/random/uuid > /cairn/outputs/n; echo made > /outbox/r.txt"],
      execution_profile: { cache: true, pull_policy: "never" },
      output: { n: { type: "string" } },
    },
  ],
});

async function roll() {
  const started = await cairn.engine.startRun({ pipeline });
  const run = await cairn.engine.waitForRun(started.uuid);
  expect(run.status, run.message ?? "").toBe("succeeded");
  return (await cairn.store.listExecutions(started.uuid))[0]!;
}

describe("the task cache with containers", () => {
  it("keys on the image's id: a hit for the same image, a miss when the name moves or the image is marked bad", async () => {
    const baseId = `sha256:${podman("image", "inspect", "--format", "{{.Id}}", BASE)}`;
    const first = await roll();
    expect(first.imageDigest).toBe(baseId);
    expect(first.cachedFrom).toBeUndefined();

    const hit = await roll();
    expect(hit).toMatchObject({ cachedFrom: first.uuid, outputs: first.outputs, imageDigest: baseId });

    // The same name, another image: a new key.
    podman("tag", OTHER, NAME);
    const moved = await roll();
    expect(moved.cachedFrom).toBeUndefined();
    expect(moved.imageDigest).not.toBe(baseId);
    expect(moved.outputs.n).not.toBe(first.outputs.n);
    expect((await roll()).cachedFrom).toBe(moved.uuid);

    // Marking the image the entry was made with bad: the next run runs it again.
    await cairn.store.images.markBad("local", moved.imageDigest!, { reason: "test", at: Date.now(), by: "tester" });
    const afterBad = await roll();
    expect(afterBad.cachedFrom).toBeUndefined();
    expect(afterBad.outputs.n).not.toBe(moved.outputs.n);
  });
});
