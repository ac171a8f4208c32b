import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Engine } from "../engine/engine.js";
import type { ExecutionId } from "../ids.js";
import type { Runtime } from "../runtimes/runtime.js";
import { TERMINAL_EXECUTION_STATUSES, TERMINAL_RUN_STATUSES, type ExecutionRecord, type ExecutionStatus, type RunRecord, type Store } from "../store/store.js";
import type { Runtimes } from "../tasks/task-handler.js";

/**
 * What GET /metrics reports, in Prometheus' text format. Nothing here is on a task's or a
 * request's path beyond a counter increment: states are counted from the engine's events
 * as they change, and the runs in progress are read from the store once per scrape.
 * Each server has its own registry (not prom-client's global one), so tests can build
 * several apps in one process.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  /** Non-final attempts by id: what `cairn_tasks` and the queue depth count. Bounded by the work in progress. */
  private readonly openTasks = new Map<ExecutionId, ExecutionStatus>();
  private readonly watched = new WeakSet<Engine>();
  private readonly runsEnded: Counter<"state">;
  private readonly tasksEnded: Counter<"state">;
  private readonly taskDuration: Histogram<"state">;
  private readonly requestDuration: Histogram<"method" | "route" | "status">;
  private readonly engineErrors: Counter<"operation">;

  constructor(store: Store) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "cairn_process_" });
    new Gauge({
      name: "cairn_runs",
      help: "Runs not yet ended, by state (read from the store at each scrape)",
      labelNames: ["state"],
      registers,
      async collect() {
        const runs = await store.listUnfinishedRuns();
        this.reset();
        this.set({ state: "queued" }, 0);
        this.set({ state: "running" }, 0);
        for (const run of runs) this.inc({ state: run.status });
      },
    });
    this.runsEnded = new Counter({ name: "cairn_runs_ended_total", help: "Runs that ended since the server started, by final state", labelNames: ["state"], registers });
    const openTasks = this.openTasks;
    new Gauge({
      name: "cairn_tasks",
      help: "Task attempts not yet ended, by state",
      labelNames: ["state"],
      registers,
      collect() {
        const counts = { queued: 0, running: 0 };
        for (const status of openTasks.values()) if (status === "queued" || status === "running") counts[status]++;
        this.set({ state: "queued" }, counts.queued);
        this.set({ state: "running" }, counts.running);
      },
    });
    new Gauge({
      name: "cairn_task_queue_depth",
      help: "Task attempts waiting to start (for their dependencies, a retry delay or a free slot)",
      registers,
      collect() {
        let queued = 0;
        for (const status of openTasks.values()) if (status === "queued") queued++;
        this.set(queued);
      },
    });
    this.tasksEnded = new Counter({ name: "cairn_tasks_ended_total", help: "Task attempts that ended since the server started, by final state", labelNames: ["state"], registers });
    this.taskDuration = new Histogram({
      name: "cairn_task_duration_seconds",
      help: "How long ended task attempts ran, from start to end, by final state",
      labelNames: ["state"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    });
    this.requestDuration = new Histogram({
      name: "cairn_http_request_duration_seconds",
      help: "API answer latency by method, route pattern and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.engineErrors = new Counter({
      name: "cairn_engine_errors_total",
      help: "Calls to the container engine that failed (connecting, starting, re-attaching or removing a container)",
      labelNames: ["operation"],
      registers,
    });
  }

  /** Counts the engine's state changes; returns the function that stops counting. */
  watchEngine(engine: Engine): () => void {
    if (this.watched.has(engine)) return () => undefined;
    this.watched.add(engine);
    const onRun = (run: RunRecord) => {
      if (TERMINAL_RUN_STATUSES.includes(run.status)) this.runsEnded.inc({ state: run.status });
    };
    const onExecution = (exec: ExecutionRecord) => {
      if (!TERMINAL_EXECUTION_STATUSES.includes(exec.status)) {
        this.openTasks.set(exec.uuid, exec.status);
        return;
      }
      // Counted when it was seen open, or when it ran but was not (an attempt recovered from an
      // earlier process, whose states are not told again); an unseen attempt that never ran
      // (skipped with its run's recovery) is not.
      if (!this.openTasks.delete(exec.uuid) && exec.startedAt === null) return;
      this.tasksEnded.inc({ state: exec.status });
      if (exec.startedAt !== null && exec.endedAt !== null) this.taskDuration.observe({ state: exec.status }, Math.max(0, exec.endedAt - exec.startedAt) / 1000);
    };
    engine.on("run", onRun);
    engine.on("execution", onExecution);
    return () => {
      engine.off("run", onRun);
      engine.off("execution", onExecution);
      this.watched.delete(engine);
    };
  }

  /** Counts failed calls to the container engine, by wrapping the runtimes the engine calls (the same object, so its calls pass here). */
  countEngineErrors(runtimes: Runtimes): void {
    const connect = runtimes.container.bind(runtimes);
    const counted = new WeakMap<Runtime, Runtime>();
    runtimes.container = async () => {
      const runtime = await connect().catch((err: unknown) => {
        this.engineErrors.inc({ operation: "connect" });
        throw err;
      });
      let wrapped = counted.get(runtime);
      if (wrapped === undefined) {
        wrapped = this.countingRuntime(runtime);
        counted.set(runtime, wrapped);
      }
      return wrapped;
    };
    if (runtimes.images) {
      const connectImages = runtimes.images.bind(runtimes);
      const countedImages = new WeakMap<object, Awaited<ReturnType<typeof connectImages>>>();
      runtimes.images = async () => {
        const images = await connectImages().catch((err: unknown) => {
          this.engineErrors.inc({ operation: "connect" });
          throw err;
        });
        // Every call of the image engine counts: a missing image is an answer (inspect gives
        // undefined), so a rejection is the engine failing (a container task asks it first).
        let wrapped = countedImages.get(images);
        if (wrapped === undefined) {
          wrapped = this.counting(images, (property) => typeof property === "string" && property !== "constructor");
          countedImages.set(images, wrapped);
        }
        return wrapped;
      };
    }
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requestDuration.observe({ method, route, status: String(status) }, seconds);
  }

  private countingRuntime(runtime: Runtime): Runtime {
    const operations = new Set<PropertyKey>(["start", "reattach", "release"]);
    return this.counting(runtime, (property) => operations.has(property));
  }

  /** `target` with each method that `counts` names counting its rejections as engine errors. */
  private counting<T extends object>(target: T, counts: (property: PropertyKey) => boolean): T {
    const errors = this.engineErrors;
    return new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver) as unknown;
        if (!counts(property) || typeof value !== "function") return value;
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => unknown).apply(object, args);
          if (!(result instanceof Promise)) return result;
          return result.catch((err: unknown) => {
            errors.inc({ operation: String(property) });
            throw err;
          });
        };
      },
    });
  }
}
