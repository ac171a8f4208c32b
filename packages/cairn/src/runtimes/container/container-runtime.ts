import { type Readable, Writable } from "node:stream";
import type Dockerode from "dockerode";
import type { CairnConfig } from "../../config.js";
import { CairnError, TaskFailure } from "../../errors.js";
import type { ImageInUse, LogSink, ProcessExit, ProcessSpec, ResourceUsage, RunningProcess, Runtime, SeenLines } from "../runtime.js";
import { UsageSampler } from "../usage-sampler.js";
import { guessCgroup, locateCgroup, readCgroupUsage, type CgroupFiles } from "./cgroup-usage.js";
import { DockerImageEngine } from "../../images/docker-image-engine.js";
import { ImageCache } from "../../images/image-cache.js";
import { engineMessage, statusOf } from "../../docker-api/engine-errors.js";
import { resolveEngine } from "../../docker-api/engine-endpoint.js";
import { LineSplitter } from "../line-splitter.js";

/**
 * Runs a task as a container through the Docker Engine API (Docker, or Podman's
 * compatible service). Containers outlive the server: they carry labels naming the
 * execution, so a restarted server finds them again and follows their logs.
 *
 * Speed (MACHINE.md): `POST /wait` is slow on Podman, so the end of a container is seen
 * as the end of an attach stream opened before start, and an inspect then gives the code.
 */

export const LABELS = {
  managed: "cairn.managed",
  run: "cairn.run",
  task: "cairn.task",
  execution: "cairn.execution",
  attempt: "cairn.attempt",
  /** The image reference the task named; the container is made from the image id, which hides the name. */
  image: "cairn.image",
} as const;

/** Docker's default stop grace is 10 s; a task told to stop gets less, since its attempt is over. */
const KILL_GRACE_S = 2;
const EXIT_POLL_MS = 50;

/** States of a container that was created but never started (Docker says "created", Podman also "configured" or "initialized"). */
const NOT_STARTED_STATES = new Set(["created", "configured", "initialized"]);

/** A frame of `docker logs --timestamps` starts with an RFC 3339 time and a space. */
const TIMESTAMP_PREFIX = /^\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:\d\d) /;

export class ContainerRuntime implements Runtime {
  readonly kind = "container" as const;

  constructor(
    private readonly docker: Dockerode,
    private readonly materialize: { cache: ImageCache; offline: boolean } | undefined = undefined,
  ) {}

  static async connect(config: CairnConfig): Promise<ContainerRuntime> {
    const { docker } = await resolveEngine(config);
    return new ContainerRuntime(docker, { cache: new ImageCache(config.imageCacheDir), offline: config.offline });
  }

  async start(spec: ProcessSpec, onLog: LogSink): Promise<RunningProcess> {
    if (spec.image === undefined) throw new TaskFailure("the container runtime needs an image, and none was given", { retryable: false });
    const image = await this.checkImage(spec.image);
    // By id, so the container runs exactly the image recorded even if the name moves meanwhile.
    const container = await this.docker.createContainer(createOptions(spec, image.id, image.names[0])).catch((cause: unknown) => {
      throw new TaskFailure(`the container engine refused to create the container: ${engineMessage(cause)}`, { retryable: false, cause });
    });
    try {
      return await this.attachAndStart(container, onLog, image);
    } catch (cause) {
      // The start's failure is the one to report; the engine refusing the removal too adds nothing to it.
      await container.remove({ force: true }).catch(() => {});
      throw new TaskFailure(`the container did not start: ${engineMessage(cause)}`, { retryable: false, cause });
    }
  }

  async reattach(executionUuid: string, onLog: LogSink, options: { seen: SeenLines }): Promise<RunningProcess | undefined> {
    const [info] = await this.findContainers(executionUuid);
    if (info === undefined) return undefined;
    const container = this.docker.getContainer(info.Id);
    // Provenance survives the restart: the container still names the image id it was made from.
    const image = await this.imageOfContainer(info);
    // A server that died between create and start left a container that never ran.
    if (NOT_STARTED_STATES.has(info.State.toLowerCase())) return this.attachAndStart(container, onLog, image);
    // From the start, not `since`: Podman's log timestamps have whole seconds only, so
    // the lines stored already are skipped by count, which is exact.
    const stream = (await container.logs({ follow: true, stdout: true, stderr: true, timestamps: true })) as unknown as Readable;
    const output = this.demultiplex(stream, onLog, options.seen, true);
    return new ContainerProcess(container, output, image);
  }

  /**
   * The image a found container runs, from its ImageID (the id it was created with) and
   * the name in its `cairn.image` label. Undefined only when the engine no longer has the
   * image (removed with --force while the container ran): the execution then has no digest
   * to record rather than a wrong one.
   */
  private async imageOfContainer(info: Dockerode.ContainerInfo): Promise<ImageInUse | undefined> {
    const id = info.ImageID || info.Image;
    if (!id) return undefined;
    const name = info.Labels?.[LABELS.image];
    try {
      return describeImage(await this.docker.getImage(id).inspect(), name ?? id);
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  private async attachAndStart(container: Dockerode.Container, onLog: LogSink, image?: ImageInUse): Promise<RunningProcess> {
    // Attached before start, so not one line is missed and the stream's end marks the exit.
    const stream = (await container.attach({ stream: true, stdout: true, stderr: true, logs: false })) as unknown as Readable;
    const output = this.demultiplex(stream, onLog, { stdout: 0, stderr: 0 }, false);
    await container.start();
    return new ContainerProcess(container, output, image);
  }

  async release(executionUuid: string): Promise<void> {
    for (const info of await this.findContainers(executionUuid)) {
      await this.docker
        .getContainer(info.Id)
        .remove({ force: true })
        .catch((err: unknown) => {
          if (statusOf(err) !== 404) throw err;
        });
    }
  }

  /** Nothing to stop: the engine keeps running for other Cairn processes and for re-attaching after a restart. */
  async close(): Promise<void> {}

  private async checkImage(image: string): Promise<ImageInUse> {
    // Nothing is pulled: no registry may be reachable, and a pull of a wrong name would hang.
    // An image saved in the materialization cache is loaded instead.
    const info = await this.docker
      .getImage(image)
      .inspect()
      .catch(async (cause: unknown) => {
        const cached = statusOf(cause) === 404 ? await this.materialize?.cache.find(image) : undefined;
        if (cached !== undefined) {
          await this.materialize!.cache.load(new DockerImageEngine(this.docker), cached);
          return this.docker.getImage(image).inspect();
        }
        throw cause;
      })
      .catch((cause: unknown) => {
        if (statusOf(cause) === 404) {
          const offline = this.materialize?.offline ? " (offline mode: only images in the engine or the image cache can be used)" : "";
          throw new CairnError(
            "image_not_found",
            `image '${image}' is not in the local container engine's store nor in the image cache; build it or load it with \`cairn images load\` first (nothing is pulled automatically)${offline}`,
            { cause, details: { image } },
          );
        }
        throw new TaskFailure(`the container engine could not look up image '${image}': ${engineMessage(cause)}`, { retryable: true, cause });
      });
    return describeImage(info, image);
  }

  private findContainers(executionUuid: string): Promise<Dockerode.ContainerInfo[]> {
    return this.docker.listContainers({ all: true, filters: { label: [`${LABELS.execution}=${executionUuid}`] } });
  }

  /**
   * Splits the multiplexed stream into lines per stream, dropping the first `seen` lines
   * of each; resolves when the stream has ended and every line has gone to `onLog`.
   */
  private demultiplex(stream: Readable, onLog: LogSink, seen: SeenLines, timestamped: boolean): Promise<void> {
    const skip = { ...seen };
    const splitter = (name: "stdout" | "stderr") =>
      new LineSplitter((line) => {
        if (skip[name] > 0) skip[name]--;
        else onLog(name, line, Date.now());
      });
    const splitters = { stdout: splitter("stdout"), stderr: splitter("stderr") };
    const sink = (name: "stdout" | "stderr") =>
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          // demuxStream writes one frame per call, and each logs frame starts with its time.
          splitters[name].push(timestamped ? stripTimestamp(chunk) : chunk);
          done();
        },
      });
    this.docker.modem.demuxStream(stream, sink("stdout"), sink("stderr"));
    return new Promise((resolve) => {
      const finish = () => {
        splitters.stdout.end();
        splitters.stderr.end();
        resolve();
      };
      stream.once("end", finish);
      stream.once("close", finish);
      stream.once("error", finish);
    });
  }
}

class ContainerProcess implements RunningProcess {
  readonly handle: string;
  private killRequested = false;
  private killing: Promise<void> | undefined;
  private readonly exit: Promise<ProcessExit>;

  constructor(
    private readonly container: Dockerode.Container,
    output: Promise<void>,
    readonly image?: ImageInUse,
  ) {
    this.handle = container.id;
    // Read while it runs, and once more as soon as the output ends: the cgroup, and with
    // it every figure, goes away a moment after the exit (see cgroup-usage.ts).
    const sampler = new UsageSampler(usageReader(container));
    this.exit = output
      .then(() => sampler.stop({ lastReading: true }))
      .then(async (usage) => {
        const exit: ProcessExit = { exitCode: await this.exitCode(), killed: this.killRequested };
        return usage ? { ...exit, usage } : exit;
      });
  }

  wait(): Promise<ProcessExit> {
    return this.exit;
  }

  kill(): Promise<void> {
    this.killRequested = true;
    this.killing ??= this.container.stop({ t: KILL_GRACE_S }).then(
      () => {},
      (err: unknown) => {
        // 304: stopped already; 404: removed; 409: not running. All mean it is not running.
        if (![304, 404, 409].includes(statusOf(err) ?? 0)) throw err;
      },
    );
    return this.killing;
  }

  /** The output stream ends a moment before the engine records the exit, so poll briefly. */
  private async exitCode(): Promise<number> {
    for (;;) {
      const info = await this.container.inspect().catch((err: unknown) => {
        if (statusOf(err) === 404) throw new TaskFailure("the container was removed while it ran", { retryable: true, cause: err });
        throw err;
      });
      if (!info.State.Running) return info.State.ExitCode;
      await new Promise((resolve) => setTimeout(resolve, EXIT_POLL_MS));
    }
  }
}

/** Reads the container's cgroup where it is on this machine, else asks the engine. */
function usageReader(container: Dockerode.Container): () => Promise<ResourceUsage | undefined> {
  let located: Promise<CgroupFiles | undefined> | undefined;
  return async () => {
    located ??= guessCgroup(container.id).then(
      (guessed) =>
        guessed ??
        container
          .inspect()
          .then((info) => locateCgroup(info.State.Pid, container.id))
          // No cgroup found (the container already ended): the engine's stats answer instead.
          .catch(() => undefined),
    );
    const files = await located;
    return files ? readCgroupUsage(files) : readStats(container);
  };
}

/**
 * The fallback for an engine on another machine: one reading of the engine's stats
 * (GET /containers/{id}/stats; `one-shot` so Docker does not wait a second to fill in
 * the previous CPU figures). Unlike the cgroup, the stats end with the exit (Podman
 * answers for running containers only), so the very end is missed. CPU is the cgroup's total
 * usage. Memory is the cgroup's peak (`max_usage`) where the engine gives it (Docker on
 * cgroup v1), else its usage now; less inactive page cache where the engine breaks it
 * down, as `docker stats` does. Podman's compatible API gives the usage alone, page cache
 * included. I/O is the block I/O the cgroup did; on cgroup v1 buffered writes are written
 * back outside the container's cgroup and do not count (Podman on cgroup v1 reports none).
 * Undefined for a container that is not running (Podman then answers an empty body,
 * Docker zeros read at the zero time).
 */
async function readStats(container: Dockerode.Container): Promise<ResourceUsage | undefined> {
  const stats = (await container.stats({ stream: false, "one-shot": true })) as Partial<Dockerode.ContainerStats> | string;
  if (typeof stats !== "object" || stats === null || !stats.cpu_stats?.cpu_usage) return undefined;
  // Docker's answer for a container that is not running: every figure 0, read at Go's zero time (checked on 20.10).
  if (stats.read?.startsWith("0001-01-01")) return undefined;
  const memory = stats.memory_stats;
  const inactive = memory?.stats?.inactive_file ?? memory?.stats?.total_inactive_file ?? 0;
  const inUse = Math.max(0, (memory?.usage ?? 0) - inactive);
  let readBytes = 0;
  let writtenBytes = 0;
  for (const entry of stats.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = entry.op.toLowerCase();
    if (op === "read") readBytes += entry.value;
    else if (op === "write") writtenBytes += entry.value;
  }
  return {
    cpuSeconds: stats.cpu_stats.cpu_usage.total_usage / 1e9,
    peakMemoryBytes: Math.max(inUse, memory?.max_usage ?? 0),
    readBytes,
    writtenBytes,
  };
}

function describeImage(info: Dockerode.ImageInspectInfo, image: string): ImageInUse {
  const created = Date.parse(info.Created);
  return {
    id: info.Id.startsWith("sha256:") ? info.Id : `sha256:${info.Id}`,
    // The name the task gave, not every tag the engine has for the same image (other users' names too).
    names: /^(sha256:)?[0-9a-f]{12,64}$/.test(image) ? [] : [image],
    createdAt: Number.isFinite(created) ? created : 0,
    architecture: info.Architecture ?? null,
    os: info.Os ?? null,
    sizeBytes: info.Size ?? null,
  };
}

function createOptions(spec: ProcessSpec, image: string, name: string | undefined): Dockerode.ContainerCreateOptions {
  const [entrypoint, ...args] = spec.command ?? [];
  return {
    Image: image,
    ...(entrypoint !== undefined ? { Entrypoint: [entrypoint], Cmd: args } : {}),
    Env: Object.entries(spec.env).map(([name, value]) => `${name}=${value}`),
    ...(spec.workingDir !== undefined ? { WorkingDir: spec.workingDir } : {}),
    Labels: {
      [LABELS.managed]: "true",
      [LABELS.run]: spec.labels.runUuid,
      [LABELS.task]: spec.labels.taskId,
      [LABELS.execution]: spec.labels.executionUuid,
      [LABELS.attempt]: String(spec.labels.attempt),
      ...(name !== undefined ? { [LABELS.image]: name } : {}),
    },
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    HostConfig: {
      Binds: spec.mounts.map((m) => `${m.hostPath}:${m.containerPath}:${m.readOnly ? "ro" : "rw"}`),
      ...(spec.network === "none" || spec.network === "host" ? { NetworkMode: spec.network } : {}),
      ...(spec.cpus !== undefined ? { NanoCpus: Math.round(spec.cpus * 1e9) } : {}),
      ...(spec.memoryBytes !== undefined ? { Memory: spec.memoryBytes } : {}),
    },
  };
}

function stripTimestamp(frame: Buffer): Buffer {
  const head = frame.subarray(0, 48).toString("latin1");
  const match = TIMESTAMP_PREFIX.exec(head);
  return match ? frame.subarray(match[0].length) : frame;
}


export function engineInfo(docker: Dockerode): Promise<{ name: string; version: string; apiVersion: string; arch: string; os: string }> {
  return new DockerImageEngine(docker).describe();
}
