import { readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../packages/cairn/src/config.js";
import { releasePodmanService, resolveEngine, stopPodmanService } from "../../packages/cairn/src/docker-api/engine-endpoint.js";

/**
 * The Podman service Cairn starts ends by itself once no client has used it for
 * CAIRN_PODMAN_IDLE_TIMEOUT after the last Cairn process using it let go (it used to run
 * with --time=0, forever, one per data dir), and a later Cairn starts it again. Real podman.
 */

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("Cairn's Podman service", () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir === undefined) return;
    await stopPodmanService(join(dir, "podman", "podman.sock"));
    await rm(dir, { recursive: true, force: true });
  });

  it("stays while a process holds it, ends after the idle timeout once none does, and starts again when needed", async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-podman-idle-"));
    const config = loadConfig({ dataDir: dir, podmanIdleTimeoutMs: 2_000 }, {});
    const first = await resolveEngine(config);
    expect(first.startedPodman).toBe(true);
    expect((await first.docker.ping()).toString()).toBe("OK");
    const pid = Number.parseInt(await readFile(join(dir, "podman", "podman.pid"), "utf8"), 10);
    expect(isAlive(pid)).toBe(true);
    // Held by this process: well past the idle timeout, still there.
    await new Promise((r) => setTimeout(r, 6_000));
    expect(isAlive(pid)).toBe(true);
    releasePodmanService(config.podmanSocket);
    const until = Date.now() + 90_000;
    while (isAlive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
    expect(isAlive(pid)).toBe(false);

    const second = await resolveEngine(config);
    expect(second.startedPodman).toBe(true);
    expect((await second.docker.ping()).toString()).toBe("OK");
  }, 180_000);
});
