import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { locateCgroup, readCgroupUsage, containersOwn, parseMembership } from "./cgroup-usage.js";

/** The file formats, from copies of real files; container-runtime.int.test.ts reads a real container's. */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cairn-cgroup-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function files(contents: Record<string, string>): Promise<(name: string) => string> {
  const sub = await mkdtemp(join(dir, "cg-"));
  for (const [name, text] of Object.entries(contents)) await writeFile(join(sub, name), text);
  return (name) => join(sub, name);
}

describe("readCgroupUsage", () => {
  it("reads cgroup v1: cpuacct.usage in ns, memory.max_usage_in_bytes, blkio per device", async () => {
    const f = await files({
      "cpuacct.usage": "1053751522\n",
      "memory.max_usage_in_bytes": "76910592\n",
      "blkio.throttle.io_service_bytes_recursive": "8:0 Read 4096\n8:0 Write 8388608\n8:0 Sync 0\n8:0 Total 8392704\n8:16 Read 100\nTotal 8392804\n",
    });
    expect(
      await readCgroupUsage({
        cpu: { file: f("cpuacct.usage"), version: 1 },
        memory: { file: f("memory.max_usage_in_bytes"), version: 1, peak: true },
        io: { file: f("blkio.throttle.io_service_bytes_recursive"), version: 1 },
      }),
    ).toEqual({ cpuSeconds: 1.053751522, peakMemoryBytes: 76910592, readBytes: 4196, writtenBytes: 8388608 });
  });

  it("reads cgroup v2: cpu.stat usage_usec, memory.peak, io.stat rbytes and wbytes", async () => {
    const f = await files({
      "cpu.stat": "usage_usec 4761489\nuser_usec 2951542\nsystem_usec 1809947\n",
      "memory.peak": "136105984\n",
      "io.stat": "8:0 rbytes=1024 wbytes=2048 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=1 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n",
    });
    expect(
      await readCgroupUsage({
        cpu: { file: f("cpu.stat"), version: 2 },
        memory: { file: f("memory.peak"), version: 2, peak: true },
        io: { file: f("io.stat"), version: 2 },
      }),
    ).toEqual({ cpuSeconds: 4.761489, peakMemoryBytes: 136105984, readBytes: 1025, writtenBytes: 2048 });
  });

  it("gives undefined once the cgroup is gone", async () => {
    const gone = join(dir, "gone");
    expect(await readCgroupUsage({ cpu: { file: `${gone}/cpuacct.usage`, version: 1 }, memory: { file: `${gone}/m`, version: 1, peak: true } })).toBeUndefined();
  });
});

describe("locateCgroup", () => {
  it("refuses a process whose cgroup does not name the container (an engine elsewhere)", async () => {
    expect(await locateCgroup(process.pid, "0123456789abcdef")).toBeUndefined();
    expect(await locateCgroup(2 ** 22 + 1, "0123456789abcdef")).toBeUndefined();
  });

  it("keeps only the hierarchies where the process sits in the container's own cgroup", () => {
    const id = "0123456789abcdef";
    const membership = parseMembership(
      [`4:memory:/libpod_parent/libpod-${id}`, "2:cpuacct:/", `3:blkio:/libpod_parent/conmon-${id}`, "0::/"].join("\n"),
    );
    const own = containersOwn(membership, id);
    expect([...own.paths]).toEqual([["memory", `/libpod_parent/libpod-${id}`]]);
    expect(own.unified).toBeUndefined();
  });
});
