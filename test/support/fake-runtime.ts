import type { LogSink, ProcessExit, ProcessSpec, ResourceUsage, RunningProcess, Runtime, SeenLines } from "../../packages/cairn/src/runtimes/runtime.js";
import type { RuntimeKind } from "../../packages/cairn/src/spec/types.js";

/**
 * A Runtime that runs nothing, for unit tests of task handlers: it records every spec it
 * is given, and `behaviour` decides each process's output and exit code. A behaviour
 * that returns "hang" leaves the process running until kill(). Its real twins are the
 * `.int.test.ts` files that run the same handlers on HostRuntime and ContainerRuntime.
 */

export type FakeBehaviour = (spec: ProcessSpec, log: (line: string) => void) => Promise<number | "hang"> | number | "hang";

export class FakeRuntime implements Runtime {
  readonly started: ProcessSpec[] = [];
  readonly released: string[] = [];
  readonly processes: FakeProcess[] = [];
  readonly reattached: Array<{ executionUuid: string; seen: SeenLines }> = [];
  /** What reattach() finds; undefined means nothing to follow. */
  reattachable: FakeProcess | undefined;
  /** How often prepare() was called. */
  prepared = 0;

  constructor(
    readonly kind: RuntimeKind,
    private readonly behaviour: FakeBehaviour = () => 0,
  ) {}

  prepare(): void {
    this.prepared++;
  }

  async start(spec: ProcessSpec, onLog: LogSink): Promise<RunningProcess> {
    this.started.push(spec);
    const proc = new FakeProcess(`fake-${this.started.length}`);
    this.processes.push(proc);
    const outcome = await this.behaviour(spec, (line) => onLog("stdout", line, Date.now()));
    if (outcome !== "hang") proc.exit(outcome);
    return proc;
  }

  async reattach(executionUuid: string, _onLog: LogSink, options: { seen: SeenLines }): Promise<RunningProcess | undefined> {
    this.reattached.push({ executionUuid, seen: options.seen });
    return this.reattachable;
  }

  async release(executionUuid: string): Promise<void> {
    this.released.push(executionUuid);
  }

  async close(): Promise<void> {}
}

export class FakeProcess implements RunningProcess {
  killCalls = 0;
  private resolveExit!: (exit: ProcessExit) => void;
  private readonly exited = new Promise<ProcessExit>((resolve) => (this.resolveExit = resolve));

  constructor(readonly handle: string) {}

  exit(exitCode: number, killed = false, usage?: ResourceUsage): void {
    this.resolveExit(usage ? { exitCode, killed, usage } : { exitCode, killed });
  }

  wait(): Promise<ProcessExit> {
    return this.exited;
  }

  async kill(): Promise<void> {
    this.killCalls += 1;
    this.exit(137, true);
  }
}
