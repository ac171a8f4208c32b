import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "./config.js";
import { openCairn, type Cairn } from "./open-cairn.js";
import { HostRuntime } from "./runtimes/host/host-runtime.js";

describe("openCairn", () => {
  const opened: Cairn[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(opened.splice(0).map((cairn) => cairn.close()));
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  async function open(prepareHost: boolean | undefined): Promise<Cairn> {
    const dir = await mkdtemp(join(tmpdir(), "cairn-open-"));
    dirs.push(dir);
    const cairn = await openCairn(loadConfig({ dataDir: dir }, {}), { allowHostRuntime: true, ...(prepareHost === undefined ? {} : { prepareHost }) });
    opened.push(cairn);
    return cairn;
  }

  it("starts the host launcher with the store when asked to, and otherwise leaves it to the first run with host tasks", async () => {
    const prepare = vi.spyOn(HostRuntime.prototype, "prepare");
    await open(undefined);
    await open(false);
    expect(prepare).not.toHaveBeenCalled();
    const cairn = await open(true);
    expect(prepare).toHaveBeenCalledTimes(1);
    // And it really runs: the launcher answers the first spawn.
    expect((await (cairn.runtimes.host as HostRuntime).spawnerInUse()).constructor.name).toBe("LauncherSpawner");
  });
});
