import { randomUUID } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { CairnError, describeError, isCairnError } from "../errors.js";
import { groupImages, resolveRunnableImage } from "../images/image-access.js";
import { ImageCache } from "../images/image-cache.js";
import type { ImageEngine } from "../images/image-engine.js";
import type { RunningProcess, Runtime } from "../runtimes/runtime.js";
import type { ActorExecutionRecord, ActorRecord } from "../store/service-store.js";
import type { Store } from "../store/store.js";
import { makeActorExecutionFolders, MAX_ACTOR_FILE_BYTES, readActorLog, readActorResult, removeActorExecutionFolders } from "../workspace/actor-files.js";
import type { GroupActors } from "./group-actors.js";

/**
 * Runs actors' executions (Tapis' Actors service, Abaco): each message queued through
 * `send` becomes a container of the actor's image on the same container runtime, with
 * the same isolation, as a container_run task (the engine's default network, the image's
 * own user, no mount but its own inputs and outputs, nothing pulled), with the message in
 * MSG and /cairn/inputs/MSG.
 *
 * The database is the queue: an execution is stored SUBMITTED before `send` answers, and
 * this dispatcher starts, oldest first, those the store says have room under their
 * actor's max_workers (ActorStore.actorExecutionsToStart), claiming each with a lease it
 * renews while the container runs. A server that stops or dies leaves its RUNNING
 * executions' leases to run out; whichever dispatcher sees that marks them ERROR and
 * removes their container (they are not re-attached: an actor's message is handled once
 * or reported failed, never silently run twice). SUBMITTED ones wait for the next
 * dispatcher, in the same order.
 */

/** How long a claim holds without renewal: a dead server's executions are marked ERROR this long after its last renewal. */
const LEASE_MS = 15_000;
const RENEW_EVERY_MS = 5_000;
/** How often the queue is read for messages queued by other processes and for lapsed leases; a `send` here wakes it at once. */
const POLL_MS = 1_000;
/** A message queued at the same instant as another takes the next position; asked again this many times. */
const QUEUE_TRIES = 5;

export const LOST_EXECUTION = "the server running this execution stopped before it ended; its container was stopped";
export const CANCELLED_EXECUTION = "cancelled";

export interface ActorServiceOptions {
  store: Store;
  dataDir: string;
  imageCacheDir: string;
  container(): Promise<Runtime>;
  images?(): Promise<ImageEngine>;
  warn?(message: string): void;
}

/** An execution this process runs, while its container runs. */
interface Running {
  process?: RunningProcess;
  cancelled: boolean;
}

export class ActorService {
  /** Names this process's claims in the store. */
  readonly holder = randomUUID();
  private readonly store: Store;
  private readonly options: ActorServiceOptions;
  private readonly running = new Map<string, Running>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly launches = new Set<Promise<void>>();
  private poll: NodeJS.Timeout | undefined;
  private renew: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private tickAgain = false;
  private closed = false;

  constructor(options: ActorServiceOptions) {
    this.options = options;
    this.store = options.store;
  }

  /** Starts dispatching: ends what a dead server left RUNNING once its lease is out, and starts queued messages. */
  start(): this {
    if (this.poll) return this;
    this.poll = setInterval(() => this.wake(), POLL_MS);
    this.renew = setInterval(() => void this.renewLeases(), RENEW_EVERY_MS);
    this.poll.unref();
    this.renew.unref();
    this.wake();
    return this;
  }

  /** The group's actors, as its runs' tapis_actor tasks see them. */
  forGroup(groupId: string): GroupActors {
    return {
      groupId,
      getActor: (actorId) => this.store.service.getActor(groupId, actorId),
      send: (actor, message, taskExecutionUuid) => {
        if (actor.groupId !== groupId) throw new CairnError("not_found", `actor '${actor.id}' is not one of group '${groupId}'`);
        return this.send(actor, message, { taskExecutionUuid });
      },
      executionOfTask: async (taskExecutionUuid) => {
        const execution = await this.store.service.getActorExecutionOfTask(taskExecutionUuid);
        return execution?.groupId === groupId ? execution : undefined;
      },
      waitFor: (uuid, signal) => this.waitFor(uuid, signal),
      cancel: (uuid) => this.cancel(uuid),
      logOf: (uuid) => this.logOf(uuid),
      resultOf: (uuid) => this.resultOf(uuid),
    };
  }

  logOf(uuid: string): Promise<string> {
    return readActorLog(this.options.dataDir, uuid);
  }

  resultOf(uuid: string): ReturnType<typeof readActorResult> {
    return readActorResult(this.options.dataDir, uuid);
  }

  /** Queues a message; it runs after the actor's earlier ones. */
  async send(actor: ActorRecord, message: string, origin: { taskExecutionUuid?: string } = {}): Promise<ActorExecutionRecord> {
    if (this.closed) throw new CairnError("conflict", "the server is shutting down");
    for (let attempt = 1; ; attempt++) {
      try {
        const record = await this.store.service.addActorExecution({
          uuid: randomUUID(),
          groupId: actor.groupId,
          actorId: actor.id,
          message,
          createdAt: Date.now(),
          taskExecutionUuid: origin.taskExecutionUuid ?? null,
        });
        this.wake();
        return record;
      } catch (err) {
        if (!(isCairnError(err) && err.code === "conflict") || attempt >= QUEUE_TRIES) throw err;
      }
    }
  }

  /**
   * Ends the execution as ERROR "cancelled": one still queued never starts; one running
   * here has its container stopped. One running in another process is left to it.
   */
  async cancel(uuid: string): Promise<void> {
    const running = this.running.get(uuid);
    if (running) {
      running.cancelled = true;
      await running.process?.kill().catch(() => {});
      return;
    }
    if (await this.store.service.finishActorExecution(uuid, { status: "ERROR", exitCode: null, error: CANCELLED_EXECUTION, endedAt: Date.now() })) this.notify(uuid);
  }

  /** Resolves with the execution once it has ended (COMPLETED or ERROR); rejects with the signal's reason when it is aborted first. */
  async waitFor(uuid: string, signal?: AbortSignal): Promise<ActorExecutionRecord> {
    for (;;) {
      signal?.throwIfAborted();
      const record = await this.store.service.getActorExecution(uuid);
      if (!record) throw new CairnError("not_found", `actor execution '${uuid}' no longer exists (its actor was deleted)`);
      if (record.status === "COMPLETED" || record.status === "ERROR") return record;
      // Woken by its end here, or read again after POLL_MS for one run by another process.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          this.waiters.get(uuid)?.delete(done);
          resolve();
        };
        const timer = setTimeout(done, POLL_MS);
        signal?.addEventListener("abort", done, { once: true });
        let set = this.waiters.get(uuid);
        if (!set) this.waiters.set(uuid, (set = new Set()));
        set.add(done);
      });
      if (this.waiters.get(uuid)?.size === 0) this.waiters.delete(uuid);
    }
  }

  /** Deletes the actor once none of its executions runs here, with its executions' folders. */
  async deleteActor(groupId: string, actorId: string): Promise<void> {
    const executions = await this.store.service.listActorExecutions(groupId, actorId);
    const busy = executions.filter((e) => e.status === "RUNNING" || e.status === "SUBMITTED");
    if (busy.length > 0) {
      throw new CairnError("conflict", `actor '${actorId}' has ${busy.length} execution(s) queued or running; cancel them or wait for them to end before deleting it`);
    }
    await this.store.service.deleteActor(groupId, actorId);
    await removeActorExecutionFolders(
      this.options.dataDir,
      executions.map((e) => e.uuid),
    );
  }

  /**
   * Before its group is deleted (which deletes its actors' rows): cancels the group's
   * queued and running executions, stopping their containers, and answers every
   * execution's uuid, for removeExecutionFolders once the rows are gone.
   */
  async stopGroup(groupId: string): Promise<string[]> {
    const uuids: string[] = [];
    for (const actor of await this.store.service.listActors(groupId)) {
      for (const execution of await this.store.service.listActorExecutions(groupId, actor.id)) {
        uuids.push(execution.uuid);
        if (execution.status === "SUBMITTED" || execution.status === "RUNNING") await this.cancel(execution.uuid);
      }
    }
    return uuids;
  }

  removeExecutionFolders(uuids: readonly string[]): Promise<void> {
    return removeActorExecutionFolders(this.options.dataDir, uuids);
  }

  /**
   * Stops dispatching and stops the containers running here; their executions end as
   * ERROR (a restarted server would not run them again either). Queued ones stay queued.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.poll);
    clearInterval(this.renew);
    await this.ticking;
    // One still starting is stopped by execute() once its container runs.
    for (const running of this.running.values()) await running.process?.kill().catch(() => {});
    await Promise.all(this.launches);
  }

  private wake(): void {
    if (this.closed) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.ticking = this.tick()
      .catch((err: unknown) => this.options.warn?.(`actor executions: ${describeError(err)}`))
      .finally(() => {
        this.ticking = undefined;
        if (this.tickAgain) {
          this.tickAgain = false;
          this.wake();
        }
      });
  }

  /** One pass: ends lost executions, then starts what has room. Never two at once in this process, so max_workers holds here. */
  private async tick(): Promise<void> {
    const lost = await this.store.service.failLapsedActorExecutions(Date.now(), LOST_EXECUTION);
    for (const execution of lost) {
      this.notify(execution.uuid);
      // Its container may still run (the server died, the container did not).
      await this.options
        .container()
        .then((runtime) => runtime.release(execution.uuid))
        .catch((err: unknown) => this.options.warn?.(`removing the container of lost actor execution ${execution.uuid}: ${describeError(err)}`));
    }
    for (const execution of await this.store.service.actorExecutionsToStart()) {
      if (this.closed) return;
      const now = Date.now();
      if (!(await this.store.service.claimActorExecution(execution.uuid, this.holder, now, now + LEASE_MS))) continue;
      const entry: Running = { cancelled: false };
      this.running.set(execution.uuid, entry);
      const launch = this.execute({ ...execution, status: "RUNNING", startedAt: now }, entry).finally(() => {
        this.launches.delete(launch);
      });
      this.launches.add(launch);
    }
  }

  private async execute(execution: ActorExecutionRecord, entry: Running): Promise<void> {
    let end: { status: "COMPLETED" | "ERROR"; exitCode: number | null; error: string | null };
    let runtime: Runtime | undefined;
    let log: WriteStream | undefined;
    try {
      const actor = await this.store.service.getActor(execution.groupId, execution.actorId);
      if (!actor) throw new CairnError("not_found", `actor '${execution.actorId}' was deleted`);
      const folders = makeActorExecutionFolders(this.options.dataDir, execution.uuid, execution.message);
      log = createWriteStream(folders.log, { flags: "a", mode: 0o600 });
      const write = cappedWriter(log);
      runtime = await this.options.container();
      const proc = await runtime.start(
        {
          labels: { runUuid: `actor:${actor.groupId}`, taskId: actor.id, executionUuid: execution.uuid, attempt: 1 },
          image: await this.runnableImage(actor),
          ...(actor.command ? { command: actor.command } : {}),
          env: {
            ...actor.defaultEnvironment,
            // After the actor's environment, so that it cannot hide the message.
            MSG: execution.message,
            _abaco_actor_id: actor.id,
            _abaco_execution_id: execution.uuid,
            _abaco_actor_name: actor.id,
            CAIRN_INPUTS_DIR: "/cairn/inputs",
            CAIRN_OUTPUTS_DIR: "/cairn/outputs",
          },
          mounts: [
            { hostPath: folders.inputs, containerPath: "/cairn/inputs", readOnly: true },
            { hostPath: folders.outputs, containerPath: "/cairn/outputs", readOnly: false },
          ],
        },
        (_stream, line) => write(line),
      );
      entry.process = proc;
      // Cancelled, or the server closing, while the container was being made.
      if (entry.cancelled || this.closed) await proc.kill().catch(() => {});
      const exit = await proc.wait();
      if (entry.cancelled) end = { status: "ERROR", exitCode: exit.exitCode, error: CANCELLED_EXECUTION };
      else if (this.closed && exit.killed) end = { status: "ERROR", exitCode: exit.exitCode, error: LOST_EXECUTION };
      else end = exit.exitCode === 0 ? { status: "COMPLETED", exitCode: 0, error: null } : { status: "ERROR", exitCode: exit.exitCode, error: `exited with code ${exit.exitCode}` };
    } catch (err) {
      end = { status: "ERROR", exitCode: null, error: entry.cancelled ? CANCELLED_EXECUTION : describeError(err) };
    }
    try {
      if (log) await new Promise<void>((resolve) => log!.end(resolve));
      await runtime?.release(execution.uuid).catch((err: unknown) => this.options.warn?.(`removing the container of actor execution ${execution.uuid}: ${describeError(err)}`));
      await this.store.service.finishActorExecution(execution.uuid, { ...end, endedAt: Date.now() });
    } catch (err) {
      this.options.warn?.(`recording the end of actor execution ${execution.uuid}: ${describeError(err)}`);
    } finally {
      this.running.delete(execution.uuid);
      this.notify(execution.uuid);
      this.wake();
    }
  }

  /**
   * The actor's image as its group may run it (images/image-access.ts), as a container_run
   * task of the group would: its own image of that name first, else one no group owns or
   * one shared with it. Nothing is pulled.
   */
  private async runnableImage(actor: ActorRecord): Promise<string> {
    if (!this.options.images) return actor.image;
    const engine = await this.options.images();
    const resolved = await resolveRunnableImage(engine, groupImages(this.store.images, actor.groupId), actor.image, new ImageCache(this.options.imageCacheDir));
    return resolved.image;
  }

  private async renewLeases(): Promise<void> {
    await this.store.service
      .renewActorExecutionLeases(this.holder, [...this.running.keys()], Date.now() + LEASE_MS)
      .catch((err: unknown) => this.options.warn?.(`renewing actor execution leases: ${describeError(err)}`));
  }

  private notify(uuid: string): void {
    for (const done of this.waiters.get(uuid) ?? []) done();
  }
}

/** Writes lines to the log until MAX_ACTOR_FILE_BYTES, then one line saying the rest was left out. */
function cappedWriter(log: WriteStream): (line: string) => void {
  let written = 0;
  let full = false;
  return (line) => {
    if (full) return;
    const bytes = Buffer.byteLength(line) + 1;
    if (written + bytes > MAX_ACTOR_FILE_BYTES) {
      full = true;
      log.write(`[cairn: the log reached ${MAX_ACTOR_FILE_BYTES} bytes; the rest was not kept]\n`);
      return;
    }
    written += bytes;
    log.write(`${line}\n`);
  };
}
