import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopPodmanService } from "../packages/cairn/src/docker-api/engine-endpoint.js";
import { createStore } from "../packages/cairn/src/store/create-store.js";
import type { RunId } from "../packages/cairn/src/ids.js";

/**
 * Fan-out (issue 18) end to end: `cairn run` of examples/fan-out-pipeline.yaml, each item
 * in a real busybox container on a private Podman service, the live view naming items
 * TASK[INDEX]. Needs `npm run build` first (npm test does it).
 */

const repo = resolve(import.meta.dirname, "..");
const bin = join(repo, "packages/cairn/bin/cairn.js");
let scratch: string;
let podmanSocket: string;

function cairn(args: string[], dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: repo,
    env: { PATH: process.env.PATH, HOME: scratch, CAIRN_DATA_DIR: dataDir, CAIRN_PODMAN_SOCKET: podmanSocket },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((done) => child.on("close", (code) => done({ code, stdout, stderr })));
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "cairn-fan-out-cli-"));
  podmanSocket = join(scratch, "podman", "podman.sock");
});
afterAll(async () => {
  await stopPodmanService(podmanSocket);
  await rm(scratch, { recursive: true, force: true });
});

describe("fan-out in containers", () => {
  it("runs the example: one busybox container per item, items named TASK[INDEX], outputs gathered as arrays for the next task", async () => {
    const dataDir = join(scratch, "data");
    const r = await cairn(["run", "examples/fan-out-pipeline.yaml"], dataDir);
    expect(r.stderr).toBe("");
    expect(r.code, r.stdout).toBe(0);
    // Each item's log lines and state changes carry its name.
    for (const [i, sample] of ["alpha", "beta", "gamma", "delta"].entries()) {
      expect(r.stdout).toMatch(new RegExp(`measure\\[${i}\\]\\s+\\| sample ${i} is ${sample}`));
      expect(r.stdout).toMatch(new RegExp(`✔ measure\\[${i}\\]\\s+succeeded`));
    }
    expect(r.stdout).toMatch(/✔ measure\s+succeeded/);
    expect(r.stdout).toContain("lengths: [5,4,5,5]");

    const store = await createStore({ sqlitePath: join(dataDir, "cairn.db") });
    try {
      const [run] = await store.listRuns({});
      const executions = await store.listExecutions(run!.uuid as RunId);
      const items = executions.filter((e) => e.taskId.startsWith("measure["));
      expect(items.map((e) => e.taskId).sort()).toEqual(["measure[0]", "measure[1]", "measure[2]", "measure[3]"]);
      // Each ran in its own container.
      expect(new Set(items.map((e) => e.runtimeHandle)).size).toBe(4);
      expect(items.every((e) => e.imageDigest?.startsWith("sha256:"))).toBe(true);
      expect(executions.find((e) => e.taskId === "measure")?.outputs).toEqual({ length: "[5,4,5,5]" });
    } finally {
      await store.close();
    }
  }, 240_000);
});
