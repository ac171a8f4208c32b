import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { HostRuntime } from "./host-runtime.js";
import { LauncherSpawner } from "./launcher-spawner.js";
import { isAlive, spec } from "../../../../../test/support/host-processes.js";

/**
 * The launcher with real processes: what only it can get wrong (its own death, the
 * engine's death, many children at once through one pipe, big output framed and
 * reassembled). The behaviour both spawners share is in host-runtime.int.test.ts.
 */



/** Live launcher processes whose parent is `pid`. */
function launchersOf(pid: number): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ").filter(Boolean).map(Number);
  return children.filter((child) => isAlive(child) && readFileSync(`/proc/${child}/cmdline`, "utf8").includes("host_launcher.py"));
}

async function launcherOf(runtime: HostRuntime): Promise<LauncherSpawner> {
  const spawner = await runtime.spawnerInUse();
  if (!(spawner instanceof LauncherSpawner)) throw new Error("expected the launcher");
  return spawner;
}

describe("LauncherSpawner", () => {
  const runtimes: HostRuntime[] = [];
  const newRuntime = () => {
    const runtime = new HostRuntime({ spawner: "launcher" });
    runtimes.push(runtime);
    return runtime;
  };
  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.close()));
  });

  it("prepare() starts the launcher before any process, and the first start uses that launcher", async () => {
    const runtime = newRuntime();
    expect(launchersOf(process.pid)).toEqual([]);
    runtime.prepare();
    await vi.waitFor(() => expect(launchersOf(process.pid)).toHaveLength(1));
    const [prepared] = launchersOf(process.pid);
    const proc = await runtime.start(spec(["true"]), () => {});
    expect(await proc.wait()).toMatchObject({ exitCode: 0 });
    expect((await launcherOf(runtime)).launcherPid).toBe(prepared);
    expect(launchersOf(process.pid)).toEqual([prepared]);
    await runtime.close();
    await vi.waitFor(() => expect(launchersOf(process.pid)).toEqual([]));
  });

  it("fails the processes of a launcher that died as retryable, stops them, and starts a new launcher", async () => {
    const runtime = newRuntime();
    const lines: string[] = [];
    const procs = await Promise.all([1, 2].map(() => runtime.start(spec(["sh", "-c", "echo up; exec sleep 30"]), (_s, line) => lines.push(line))));
    await vi.waitFor(() => expect(lines).toEqual(["up", "up"]));
    const pids = procs.map((p) => Number(p.handle));
    const first = (await launcherOf(runtime)).launcherPid!;
    process.kill(first, "SIGKILL");

    for (const proc of procs) {
      await expect(proc.wait()).rejects.toMatchObject({ name: "TaskFailure", retryable: true, message: expect.stringContaining("the host launcher killed by SIGKILL") });
    }
    await vi.waitFor(() => expect(pids.filter(isAlive)).toEqual([]));

    // Several tasks at once after the death share one new launcher.
    const out: string[] = [];
    const next = await Promise.all([1, 2, 3, 4, 5].map((i) => runtime.start(spec(["echo", `again ${i}`]), (_s, line) => out.push(line))));
    for (const proc of next) expect(await proc.wait()).toMatchObject({ exitCode: 0 });
    expect(out.sort()).toEqual([1, 2, 3, 4, 5].map((i) => `again ${i}`));
    const second = (await launcherOf(runtime)).launcherPid!;
    expect(second).not.toBe(first);
    expect(isAlive(first)).toBe(false);
    expect(launchersOf(process.pid)).toEqual([second]);
  });

  it("stops its processes and exits when the engine's process dies", async () => {
    // A separate engine process that starts a long task through the launcher, then is SIGKILLed.
    const runtimeUrl = new URL("./host-runtime.ts", import.meta.url).href;
    const script = `
      import { HostRuntime } from ${JSON.stringify(runtimeUrl)};
      const runtime = new HostRuntime({ spawner: "launcher" });
      const proc = await runtime.start({ labels: {}, command: ["sleep", "30"], env: {}, mounts: [] }, () => {});
      const launcher = await runtime.spawnerInUse();
      console.log(JSON.stringify({ task: Number(proc.handle), launcher: launcher.launcherPid }));
      setInterval(() => {}, 1000);
    `;
    // tsx as a loader, not its CLI: the CLI runs the script in a child process, which would survive the SIGKILL.
    const tsx = new URL("../../../../../node_modules/tsx/dist/esm/index.mjs", import.meta.url).href;
    const engine = spawn(process.execPath, ["--import", tsx, "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    const first = await new Promise<string>((resolve, reject) => {
      engine.stdout.setEncoding("utf8");
      let text = "";
      engine.stdout.on("data", (chunk: string) => {
        text += chunk;
        if (text.includes("\n")) resolve(text.split("\n")[0]!);
      });
      engine.once("exit", (code) => reject(new Error(`engine exited with ${code}`)));
    });
    const { task, launcher } = JSON.parse(first) as { task: number; launcher: number };
    expect(isAlive(task)).toBe(true);
    expect(isAlive(launcher)).toBe(true);
    engine.kill("SIGKILL");
    await vi.waitFor(() => expect([isAlive(task), isAlive(launcher)]).toEqual([false, false]), { timeout: 5000 });
  });

  it("runs 200 processes at once, each with its own lines in order and its own exit code", async () => {
    const runtime = newRuntime();
    const received = new Map<number, string[]>();
    const procs = await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        received.set(i, []);
        const script = `for j in 1 2 3 4 5; do echo "${i}-$j"; echo "e${i}-$j" >&2; done; exit $((${i} % 7))`;
        return runtime.start(spec(["sh", "-c", script]), (stream, line) => received.get(i)!.push(`${stream}:${line}`));
      }),
    );
    const exits = await Promise.all(procs.map((p) => p.wait()));
    expect(exits.map((e) => e.exitCode)).toEqual(Array.from({ length: 200 }, (_, i) => i % 7));
    for (let i = 0; i < 200; i++) {
      const lines = received.get(i)!;
      expect(lines.filter((l) => l.startsWith("stdout:"))).toEqual([1, 2, 3, 4, 5].map((j) => `stdout:${i}-${j}`));
      expect(lines.filter((l) => l.startsWith("stderr:"))).toEqual([1, 2, 3, 4, 5].map((j) => `stderr:e${i}-${j}`));
    }
  });

  it("streams large output on both pipes at once, complete and in order, and cuts an endless line", async () => {
    const runtime = newRuntime();
    let stdoutCount = 0;
    let stdoutInOrder = true;
    let stderrBytes = 0;
    const longLines: number[] = [];
    // About 16 MB of numbered lines on stdout while stderr gets 3 MiB without a newline, then one more line.
    const script = "seq 1 2000000 & head -c 3145728 /dev/zero | tr '\\0' x >&2; echo >&2; echo tail >&2; wait";
    const proc = await runtime.start(spec(["bash", "-c", script]), (stream, line) => {
      if (stream === "stdout") {
        stdoutCount += 1;
        if (line !== String(stdoutCount)) stdoutInOrder = false;
      } else {
        stderrBytes += line.length;
        longLines.push(line.length);
      }
    });
    expect((await proc.wait()).exitCode).toBe(0);
    expect(stdoutCount).toBe(2_000_000);
    expect(stdoutInOrder).toBe(true);
    expect(longLines).toEqual([1024 * 1024, 1024 * 1024, 1024 * 1024, 4]);
    expect(stderrBytes).toBe(3 * 1024 * 1024 + 4);
  });

  it("starts processes with default signal handling, though Python ignores SIGPIPE", async () => {
    const runtime = newRuntime();
    const lines: string[] = [];
    // With SIGPIPE ignored, `yes` would see EPIPE and complain on stderr instead of dying quietly.
    const proc = await runtime.start(spec(["bash", "-c", "yes | head -n 1; echo \"${PIPESTATUS[0]}\""]), (stream, line) => lines.push(`${stream}:${line}`));
    await proc.wait();
    expect(lines).toEqual(["stdout:y", "stdout:141"]);
  });

  it("reports usage from wait4 even for a process that ends at once", async () => {
    const runtime = newRuntime();
    const proc = await runtime.start(spec(["sh", "-c", "head -c 4000000 /dev/zero | wc -c >/dev/null"]), () => {});
    const { exitCode, usage } = await proc.wait();
    expect(exitCode).toBe(0);
    expect(usage).toBeDefined();
    expect(usage!.peakMemoryBytes).toBeGreaterThan(0);
    expect(usage!.cpuSeconds).toBeLessThan(1);
  });

  it("ends a killed process although a descendant that left its group holds the pipes", async () => {
    const runtime = newRuntime();
    const lines: string[] = [];
    const proc = await runtime.start(spec(["bash", "-c", "setsid sleep 30 & echo $!; wait"]), (_s, line) => lines.push(line));
    await vi.waitFor(() => expect(lines.length).toBe(1));
    const escaped = Number(lines[0]);
    await proc.kill();
    expect(await proc.wait()).toMatchObject({ killed: true });
    // It left the group on purpose; the test cleans it up (setsid forks first when it
    // happens to lead a group, and then the pid printed is setsid's, gone already).
    try {
      process.kill(escaped, "SIGKILL");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    }
  }, 15_000);

  it("refuses a process it cannot start and keeps serving the others", async () => {
    const runtime = newRuntime();
    await expect(runtime.start(spec(["echo", "a\u0000b"]), () => {})).rejects.toMatchObject({ name: "TaskFailure", retryable: false });
    const dir = await mkdtemp(join(tmpdir(), "cairn-launcher-"));
    try {
      await writeFile(join(dir, "plain"), "echo plain\n", { mode: 0o644 });
      await expect(runtime.start(spec([join(dir, "plain")]), () => {})).rejects.toMatchObject({ message: `command '${join(dir, "plain")}' not executable` });
      // An executable without a #! line runs with /bin/sh, as execvp does it for Node.js's spawn.
      await writeFile(join(dir, "script"), "echo still here\n", { mode: 0o755 });
      const out: string[] = [];
      const proc = await runtime.start(spec([join(dir, "script")]), (_s, line) => out.push(line));
      expect((await proc.wait()).exitCode).toBe(0);
      expect(out).toEqual(["still here"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reports a launcher that cannot start, so HostRuntime can fall back", async () => {
    await expect(LauncherSpawner.start({ python: "cairn-no-such-python" })).rejects.toThrow();
    const fallback = new HostRuntime({ launcher: { python: "cairn-no-such-python" } });
    runtimes.push(fallback);
    const out: string[] = [];
    const proc = await fallback.start(spec(["echo", "fallback"]), (_s, line) => out.push(line));
    expect((await proc.wait()).exitCode).toBe(0);
    expect(out).toEqual(["fallback"]);
    expect(await fallback.spawnerInUse()).not.toBeInstanceOf(LauncherSpawner);
  });
});
