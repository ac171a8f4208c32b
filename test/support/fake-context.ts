import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../packages/cairn/src/config.js";
import { EgressPolicy } from "../../packages/cairn/src/net/egress-policy.js";
import type { ExecutionId, RunId } from "../../packages/cairn/src/ids.js";
import { HostRuntime } from "../../packages/cairn/src/runtimes/host/host-runtime.js";
import type { ResourceUsage, Runtime } from "../../packages/cairn/src/runtimes/runtime.js";
import { DEFAULT_EXECUTION_PROFILE, type Task } from "../../packages/cairn/src/spec/types.js";
import type { LogStream } from "../../packages/cairn/src/store/store.js";
import type { TaskExecutionContext } from "../../packages/cairn/src/tasks/task-handler.js";

/**
 * A TaskExecutionContext for testing one task handler without the engine: a private
 * temp dir with the attempt's inputs/ and outputs/, log lines and started() handles
 * collected in arrays, and an AbortController to cancel. The host runtime is real; the
 * container runtime must be passed in (`container`), since not every test has Podman.
 *
 * ```ts
 * const ctx = fakeContext(task, { inputs: { name: "x" } });
 * try { await handler.run(ctx); expect(ctx.logs).toContainEqual(...) } finally { await ctx.cleanup() }
 * ```
 */

export interface LoggedLine {
  stream: LogStream;
  line: string;
}

export interface FakeContext<T extends Task> extends TaskExecutionContext<T> {
  /** Every line the handler logged, in order. */
  logs: LoggedLine[];
  /** Every handle passed to started(), in order. */
  startedHandles: string[];
  /** Every usage passed to recordUsage(), in order. */
  usages: ResourceUsage[];
  /** Aborts ctx.signal, as the engine does on cancel or max_exec_time. */
  controller: AbortController;
  /** The temp dir holding the data dir and the attempt's paths. */
  tmp: string;
  /** Closes the host runtime (killing what it still runs) and removes the temp dir. */
  cleanup(): Promise<void>;
}

export interface FakeContextOverrides<T extends Task> extends Partial<Omit<TaskExecutionContext<T>, "task">> {
  /** The container runtime; without it, ctx.runtimes.container() rejects. */
  container?: Runtime;
}

export function fakeContext<T extends Task>(task: T, overrides: FakeContextOverrides<T> = {}): FakeContext<T> {
  const tmp = mkdtempSync(join(tmpdir(), "cairn-fake-context-"));
  const root = join(tmp, "attempt");
  const paths = { root, inputs: join(root, "inputs"), outputs: join(root, "outputs"), inbox: join(root, "inbox"), outbox: join(root, "outbox") };
  for (const dir of [paths.inputs, paths.outputs, paths.inbox, paths.outbox]) mkdirSync(dir, { recursive: true });

  const logs: LoggedLine[] = [];
  const startedHandles: string[] = [];
  const usages: ResourceUsage[] = [];
  const controller = new AbortController();
  const host = new HostRuntime();
  const { container, ...rest } = overrides;
  const config = overrides.config ?? loadConfig({ dataDir: join(tmp, "data") });

  return {
    // Random, not fixed: containers are found and removed by these labels, and test files
    // run in parallel against one engine.
    runUuid: randomUUID() as RunId,
    executionUuid: randomUUID() as ExecutionId,
    attempt: 1,
    task,
    profile: DEFAULT_EXECUTION_PROFILE,
    inputs: {},
    paths,
    runtimes: {
      container: async () => {
        if (container === undefined) throw new Error("fakeContext: this test gave no container runtime");
        return container;
      },
      host,
    },
    config,
    // The server's policy for this config: a test that calls a local server allows it (egressAllow), as an operator would.
    egress: EgressPolicy.fromConfig(config),
    log: (stream, line) => void logs.push({ stream, line }),
    started: async (handle) => void startedHandles.push(handle),
    recordUsage: async (usage) => void usages.push(usage),
    signal: controller.signal,
    ...rest,
    logs,
    startedHandles,
    usages,
    controller,
    tmp,
    async cleanup() {
      await host.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
