import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { dockerdMissing, startDockerd } from "./dockerd.js";

/** The private dockerd itself: it runs containers, and leaves nothing of itself or the host changed behind. */

const run = promisify(execFile);
const skipped = dockerdMissing();

async function processesNaming(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir("/proc")).filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)) {
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).replace(/\0/g, " ");
    if (cmdline.includes(dir)) found.push(`${pid}: ${cmdline}`);
  }
  return found;
}

const mountsUnder = async (dir: string) => (await readFile("/proc/self/mountinfo", "utf8")).split("\n").filter((line) => line.split(" ")[4]?.startsWith(dir));

describe.skipIf(skipped !== undefined)(`test dockerd${skipped ? ` (skipped: ${skipped})` : ""}`, () => {
  it("runs a container of the imported busybox, and after close() no process, mount, folder, bridge or forwarding change is left", async () => {
    const forwardingBefore = await readFile("/proc/sys/net/ipv4/ip_forward", "utf8");
    const trustKeyBefore = existsSync("/etc/docker/key.json");
    const dockerd = await startDockerd();
    try {
      expect(dockerd.version).toMatch(/^\d+\.\d+\.\d+/);
      await dockerd.importBusybox("localhost/busybox:dockerd-test");
      const { stdout } = await run("docker", ["--host", dockerd.host, "run", "--rm", "localhost/busybox:dockerd-test", "sh", "-c", "echo ran; ls /sys/class/net"]);
      // A loopback-only network namespace: no bridge was made for it.
      expect(stdout.split("\n").filter((l) => l !== "")).toEqual(["ran", "lo"]);
      expect(existsSync("/sys/class/net/docker0")).toBe(false);
      // The host's network works too (inject_api_token tasks use it); it leaves a mount of the host's namespace under the exec root.
      await run("docker", ["--host", dockerd.host, "run", "--rm", "--network", "host", "localhost/busybox:dockerd-test", "true"]);
      expect(await mountsUnder(dockerd.dir)).not.toEqual([]);
      expect(await processesNaming(dockerd.dir)).not.toEqual([]);
    } finally {
      await dockerd.close();
    }
    expect(await processesNaming(dockerd.dir)).toEqual([]);
    expect(await mountsUnder(dockerd.dir)).toEqual([]);
    expect(existsSync(dockerd.dir)).toBe(false);
    expect(existsSync("/sys/class/net/docker0")).toBe(false);
    // docker.io depends on iptables, so it is there wherever dockerd is.
    expect((await run("iptables", ["-S"])).stdout).not.toMatch(/DOCKER/);
    expect((await run("iptables", ["-t", "nat", "-S"])).stdout).not.toMatch(/DOCKER/);
    expect(await readFile("/proc/sys/net/ipv4/ip_forward", "utf8")).toBe(forwardingBefore);
    expect(existsSync("/etc/docker/key.json")).toBe(trustKeyBefore);
  });
});
