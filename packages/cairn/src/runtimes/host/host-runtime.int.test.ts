import { existsSync } from "node:fs";
import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { LogSink } from "../runtime.js";
import { HostRuntime } from "./host-runtime.js";
import { isAlive, spec } from "../../../../../test/support/host-processes.js";

/** Real child processes: the host runtime is a thin layer over the OS, so only the OS can tell if it's right. */

type Line = { stream: "stdout" | "stderr"; line: string };

function collector() {
  const lines: Line[] = [];
  const waiters: Array<{ match: (l: Line) => boolean; resolve: (l: Line) => void }> = [];
  const sink: LogSink = (stream, line) => {
    const entry = { stream, line };
    lines.push(entry);
    for (const w of waiters.filter((w) => w.match(entry))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(entry);
    }
  };
  const next = (match: (l: Line) => boolean) =>
    new Promise<Line>((resolve) => {
      const seen = lines.find(match);
      if (seen) resolve(seen);
      else waiters.push({ match, resolve });
    });
  const of = (stream: "stdout" | "stderr") => lines.filter((l) => l.stream === stream).map((l) => l.line);
  return { lines, sink, next, of };
}



describe.each(["launcher", "node"] as const)("HostRuntime (spawner: %s)", (spawner) => {
  const runtime = new HostRuntime({ spawner });
  let dir: string;

  beforeAll(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), "cairn-host-runtime-")));
  });
  afterEach(() => {
    delete process.env.CAIRN_TEST_SECRET;
  });
  afterAll(async () => {
    await runtime.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("sends stdout and stderr lines, each stream in order, and the exit code", async () => {
    const log = collector();
    const proc = await runtime.start(spec(["sh", "-c", "echo one; echo err1 >&2; echo two; echo err2 >&2; exit 3"]), log.sink);
    expect(proc.handle).toMatch(/^\d+$/);
    expect(await proc.wait()).toMatchObject({ exitCode: 3, killed: false });
    expect(log.of("stdout")).toEqual(["one", "two"]);
    expect(log.of("stderr")).toEqual(["err1", "err2"]);
  });

  it("says whether the process left anything running in its group", async () => {
    const alone = await runtime.start(spec(["sh", "-c", "echo done"]), collector().sink);
    expect(await alone.wait()).toMatchObject({ exitCode: 0, leftNothingRunning: true });
    // A background job with its output elsewhere: the pipes close, the group lives on.
    const marker = join(dir, "background-done");
    const leaving = await runtime.start(spec(["sh", "-c", `(sleep 0.5; touch ${marker}) >/dev/null 2>&1 &`]), collector().sink);
    const exit = await leaving.wait();
    expect(exit.exitCode).toBe(0);
    expect(exit.leftNothingRunning).toBeUndefined();
    await vi.waitFor(() => expect(existsSync(marker)).toBe(true), { timeout: 5000, interval: 50 });
  });

  it("joins a line written in pieces and sends a last line without a newline", async () => {
    const log = collector();
    const proc = await runtime.start(spec(["sh", "-c", "printf 'ab'; sleep 0.1; printf 'c\\nd'; sleep 0.1; printf 'e\\n\\nlast'"]), log.sink);
    expect((await proc.wait()).exitCode).toBe(0);
    expect(log.of("stdout")).toEqual(["abc", "de", "", "last"]);
  });

  it("keeps multi-byte characters whole", async () => {
    const log = collector();
    const proc = await runtime.start(spec(["sh", "-c", "printf 'caf\\303'; sleep 0.1; printf '\\251 \\342\\202\\254\\n'"]), log.sink);
    await proc.wait();
    expect(log.of("stdout")).toEqual(["café €"]);
  });

  it("reports death by a signal as 128 + the signal number", async () => {
    const proc = await runtime.start(spec(["sh", "-c", "kill -9 $$"]), collector().sink);
    expect(await proc.wait()).toMatchObject({ exitCode: 137, killed: false });
  });

  it("gives the process only its own env plus PATH, HOME, LANG and TMPDIR", async () => {
    process.env.CAIRN_TEST_SECRET = "server-only";
    const log = collector();
    const script = 'echo "secret=[$CAIRN_TEST_SECRET] mine=[$MINE] home=[$HOME]"; command -v sh >/dev/null && echo path-ok';
    const proc = await runtime.start(spec(["sh", "-c", script], { env: { MINE: "yes" } }), log.sink);
    await proc.wait();
    expect(log.of("stdout")).toEqual([`secret=[] mine=[yes] home=[${process.env.HOME ?? ""}]`, "path-ok"]);
  });

  it("passes a server variable when the spec gives it, and lets the spec override an inherited one", async () => {
    process.env.CAIRN_TEST_SECRET = "server-only";
    const log = collector();
    const proc = await runtime.start(spec(["sh", "-c", 'echo "$CAIRN_TEST_SECRET $HOME"'], { env: { CAIRN_TEST_SECRET: "given", HOME: "/nowhere" } }), log.sink);
    await proc.wait();
    expect(log.of("stdout")).toEqual(["given /nowhere"]);
  });

  it("runs in the working directory", async () => {
    const log = collector();
    const proc = await runtime.start(spec(["pwd"], { workingDir: dir }), log.sink);
    await proc.wait();
    expect(log.of("stdout")).toEqual([dir]);
  });

  it("finds a command on the task's PATH again once it is gone from where it was found", async () => {
    const [first, second] = [join(dir, "path-a"), join(dir, "path-b")];
    await Promise.all([mkdir(first), mkdir(second)]);
    const place = (folder: string) => writeFile(join(folder, "cairn-which-test"), `#!/bin/sh\necho ${basename(folder)}\n`, { mode: 0o755 });
    const run = async () => {
      const log = collector();
      const proc = await runtime.start(spec(["cairn-which-test"], { env: { PATH: `${first}:${second}:/usr/bin:/bin` } }), log.sink);
      expect(await proc.wait()).toMatchObject({ exitCode: 0 });
      return log.of("stdout");
    };
    await place(second);
    expect(await run()).toEqual(["path-b"]);
    expect(await run()).toEqual(["path-b"]);
    await rm(join(second, "cairn-which-test"));
    await place(first);
    expect(await run()).toEqual(["path-a"]);
    await rm(join(first, "cairn-which-test"));
    await expect(run()).rejects.toMatchObject({ name: "TaskFailure", message: "command 'cairn-which-test' not found" });
  });

  it("fails clearly, without retry, on a missing command or working directory", async () => {
    await expect(runtime.start(spec(["cairn-no-such-command-xyz"]), collector().sink)).rejects.toMatchObject({
      name: "TaskFailure",
      retryable: false,
      message: "command 'cairn-no-such-command-xyz' not found",
    });
    await expect(runtime.start(spec(["pwd"], { workingDir: join(dir, "missing") }), collector().sink)).rejects.toMatchObject({
      name: "TaskFailure",
      retryable: false,
      message: expect.stringContaining("does not exist"),
    });
    await expect(runtime.start(spec([]), collector().sink)).rejects.toMatchObject({ name: "TaskFailure", retryable: false });
  });

  it("delivers 100,000 lines complete and in order", async () => {
    let count = 0;
    let inOrder = true;
    const proc = await runtime.start(spec(["seq", "1", "100000"]), (stream, line) => {
      count += 1;
      if (stream !== "stdout" || line !== String(count)) inOrder = false;
    });
    expect((await proc.wait()).exitCode).toBe(0);
    expect(count).toBe(100_000);
    expect(inOrder).toBe(true);
  });

  it("kills a running process, and kill is idempotent", async () => {
    const proc = await runtime.start(spec(["sleep", "30"]), collector().sink);
    const pid = Number(proc.handle);
    await Promise.all([proc.kill(), proc.kill()]);
    expect(await proc.wait()).toMatchObject({ exitCode: 128 + 15, killed: true });
    await proc.kill();
    await vi.waitFor(() => expect(isAlive(pid)).toBe(false));
  });

  it("kills the whole process tree, not just the direct child", async () => {
    const log = collector();
    const proc = await runtime.start(spec(["sh", "-c", "sleep 30 & echo $!; wait"]), log.sink);
    const childPid = Number((await log.next((l) => l.stream === "stdout")).line);
    expect(isAlive(childPid)).toBe(true);
    await proc.kill();
    expect((await proc.wait()).killed).toBe(true);
    await vi.waitFor(() => expect(isAlive(childPid)).toBe(false));
  });

  it("kills what is left in the group after the process itself exited, while it holds the pipes", async () => {
    const log = collector();
    const proc = await runtime.start(spec(["sh", "-c", "sleep 30 & echo $!; exit 0"]), log.sink);
    const childPid = Number((await log.next((l) => l.stream === "stdout")).line);
    await proc.kill();
    expect((await proc.wait()).killed).toBe(true);
    await vi.waitFor(() => expect(isAlive(childPid)).toBe(false));
  });

  it("uses SIGKILL on a process that ignores SIGTERM", async () => {
    const log = collector();
    const proc = await runtime.start(spec(["sh", "-c", "trap '' TERM; echo ready; sleep 30"]), log.sink);
    await log.next((l) => l.line === "ready");
    await proc.kill();
    expect(await proc.wait()).toMatchObject({ exitCode: 137, killed: true });
  });

  it("is safe to kill after a normal exit", async () => {
    const proc = await runtime.start(spec(["true"]), collector().sink);
    expect(await proc.wait()).toMatchObject({ exitCode: 0, killed: false });
    await proc.kill();
    expect(await proc.wait()).toMatchObject({ exitCode: 0, killed: false });
  });

  it("cannot reattach a host process, and close() stops what still runs", async () => {
    expect(await runtime.reattach("e", collector().sink, { seen: { stdout: 0, stderr: 0 } })).toBeUndefined();
    const own = new HostRuntime({ spawner });
    const proc = await own.start(spec(["sleep", "30"]), collector().sink);
    await own.release("e");
    await own.close();
    expect(await proc.wait()).toMatchObject({ exitCode: 143, killed: true });
  });

  it("measures CPU time, peak memory and bytes written of the whole process tree", async () => {
    const out = join(dir, "usage-out");
    // 8 MiB to a file; then dd holds a 64 MiB buffer (blocked on the pipe) while the shell burns about 1 s of CPU.
    const script = `dd if=/dev/zero of="${out}" bs=1M count=8 status=none; dd if=/dev/zero bs=64M count=1 status=none | { i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; }`;
    const proc = await runtime.start(spec(["bash", "-c", script]), collector().sink);
    const { exitCode, usage } = await proc.wait();
    expect(exitCode).toBe(0);
    // Read while it runs, so up to the last reading's interval at the end is missed (UsageSampler).
    expect(usage!.cpuSeconds).toBeGreaterThan(0.5);
    expect(usage!.cpuSeconds).toBeLessThan(4);
    expect(usage!.peakMemoryBytes).toBeGreaterThanOrEqual(64 * 2 ** 20);
    expect(usage!.peakMemoryBytes).toBeLessThan(256 * 2 ** 20);
    expect(usage!.writtenBytes).toBeGreaterThanOrEqual(8 * 2 ** 20);
    expect(usage!.writtenBytes).toBeLessThan(16 * 2 ** 20);
  });

  it("measures a process that ends at once, or leaves usage out", async () => {
    const proc = await runtime.start(spec(["true"]), collector().sink);
    const { usage } = await proc.wait();
    if (usage !== undefined) expect(usage.cpuSeconds).toBeLessThan(0.5);
  });
});
