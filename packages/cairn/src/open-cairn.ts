import { join } from "node:path";
import { ActorService } from "./actors/actor-service.js";
import type { CairnConfig } from "./config.js";
import { Engine, type IdentityLookup, type RegistryIdentityLookup, type RunApiAccess } from "./engine/engine.js";
import type { ValueSealer } from "./engine/log-masking.js";
import type { ImageEngine } from "./images/image-engine.js";
import type { SecretLookup } from "./engine/input-resolver.js";
import { watchCancelRequests } from "./engine/cancel-watch.js";
import { WorkDirCleaner } from "./engine/work-dir-cleaner.js";
import { HostRuntime } from "./runtimes/host/host-runtime.js";
import type { Runtime } from "./runtimes/runtime.js";
import { slurmConnector, type SlurmConnector } from "./runtimes/slurm/slurm-connector.js";
import type { WorkerRole } from "./config.js";
import { WorkerRegistry } from "./engine/worker-registry.js";
import { processWorkerId } from "./store/worker-id.js";
import { createStore } from "./store/create-store.js";
import { lockDataDir } from "./store/data-dir-lock.js";
import type { RunRecord, Store } from "./store/store.js";
import { defaultTaskHandlers } from "./tasks/registry.js";
import type { Runtimes } from "./tasks/task-handler.js";

export interface Cairn {
  config: CairnConfig;
  store: Store;
  engine: Engine;
  runtimes: Runtimes;
  /** Deletes ended runs' working folders after CAIRN_WORK_DIR_GRACE (the archiver hands its runs here too). */
  workDirs: WorkDirCleaner;
  /** Actors' executions (tapis_actor tasks and the actors API); a server starts its dispatching (start-server.ts). */
  actors: ActorService;
  /** This process as a worker in the database (see OpenOptions.role). */
  worker: WorkerRegistry;
  close(): Promise<void>;
}

export interface OpenOptions {
  allowHostRuntime?: boolean;
  secrets?: SecretLookup;
  identities?: IdentityLookup;
  registryIdentities?: RegistryIdentityLookup;
  /** Seals outputs that held a secret (see EngineOptions.outputSealer). */
  outputSealer?: ValueSealer;
  apiAccess?: RunApiAccess;
  /** Takes each ended run and its working folder (see EngineOptions.takeRun). */
  takeRun?: (run: RunRecord) => void;
  /**
   * Starts the host runtime's launcher now (a server that allows host tasks, or a local
   * run of a pipeline that has some), so that its start (a Python process, 20-50 ms)
   * overlaps opening the store instead of delaying the first task. Otherwise it starts
   * when a run with host tasks is recorded.
   */
  prepareHost?: boolean;
  /** Opens shells on slurm systems for tapis_job tasks; absent, localhost systems only (no SSH identities to open). */
  slurm?: SlurmConnector;
  /**
   * Set by a server: this process is a worker of that role in the database, with a
   * heartbeat and claims on the runs it records (worker-registry.ts). Without it the
   * process is an `all` worker with a heartbeat only on PostgreSQL.
   */
  role?: WorkerRole;
}

/**
 * Opens the store (migrating it), the runtimes (the container engine lazily) and an engine
 * over them, after deleting what ended runs left whose grace period passed while no
 * process ran.
 */
export async function openCairn(config: CairnConfig, options: OpenOptions = {}): Promise<Cairn> {
  // With SQLite, one process per data dir (see data-dir-lock.ts), refused before it touches the store.
  const lock = config.databaseUrl === undefined ? lockDataDir(config.dataDir) : undefined;
  let store: Store;
  try {
    store = await createStore({ databaseUrl: config.databaseUrl, sqlitePath: join(config.dataDir, "cairn.db") });
  } catch (err) {
    lock?.release();
    throw err;
  }
  const workDirs = new WorkDirCleaner({
    dataDir: config.dataDir,
    graceMs: config.workDirGraceMs,
    keep: config.keepWorkDirs,
    warn: (message) => process.emitWarning(message, "CairnWorkDirs"),
  });
  // Leftovers cost disk, not correctness: a failed sweep is reported, and Cairn starts anyway.
  await workDirs.sweep(store).catch((err: unknown) => process.emitWarning(`sweeping ended runs' working folders: ${String(err)}`, "CairnWorkDirs"));
  const host = new HostRuntime({ launcher: { pythonFork: config.pythonFork } });
  if (options.prepareHost) host.prepare();
  let container: Promise<Runtime> | undefined;
  let images: Promise<ImageEngine> | undefined;
  const runtimes: Runtimes = {
    host,
    container: () => {
      // A failed connection is not cached: the next task tries again (the engine may have been started since).
      const connecting: Promise<Runtime> =
        container ??
        // Loaded on first use: dockerode brings ssh2 and gRPC, about 40 MB that every
        // fork of this process would copy, and host-only engines never need them.
        import("./runtimes/container/container-runtime.js").then(({ ContainerRuntime }) => ContainerRuntime.connect(config)).catch((err: unknown) => {
          container = undefined;
          throw err;
        });
      container = connecting;
      return connecting;
    },
    images: () => {
      const connecting: Promise<ImageEngine> =
        images ??
        import("./images/docker-image-engine.js").then(({ DockerImageEngine }) => DockerImageEngine.connect(config)).catch((err: unknown) => {
          images = undefined;
          throw err;
        });
      images = connecting;
      return connecting;
    },
  };
  // Every process that runs an engine is a worker: on PostgreSQL a local `cairn run` claims
  // its run too, so that no server takes it over while it runs.
  const worker = new WorkerRegistry({ store, id: processWorkerId(), role: options.role ?? "all", slotsTotal: config.maxParallelTasks, leaseMs: config.leaseSeconds * 1000 });
  if (options.role !== undefined || store.capabilities.multipleWriters) await worker.start();
  const actors = new ActorService({
    store,
    dataDir: config.dataDir,
    imageCacheDir: config.imageCacheDir,
    container: runtimes.container,
    ...(runtimes.images ? { images: runtimes.images } : {}),
    warn: (message) => process.emitWarning(message, "CairnActors"),
  });
  const engine = new Engine({
    actors,
    worker,
    store,
    config,
    runtimes,
    handlers: defaultTaskHandlers({ tapisJob: { store: store.service, connect: options.slurm ?? slurmConnector({ slurmConf: config.slurmConf }) } }),
    secrets: options.secrets,
    identities: options.identities,
    registryIdentities: options.registryIdentities,
    outputSealer: options.outputSealer,
    allowHostRuntime: options.allowHostRuntime,
    apiAccess: options.apiAccess,
    takeRun: options.takeRun,
    workDirs,
  });
  // A cancel another process recorded (`cairn cancel` of a run this process runs).
  const stopCancelWatch = watchCancelRequests(store, (uuid) => engine.cancelRun(uuid));
  return {
    config,
    store,
    engine,
    runtimes,
    workDirs,
    actors,
    worker,
    async close() {
      stopCancelWatch();
      await engine.close();
      await actors.close();
      // Its claims go with it: other workers take its runs over now rather than after the lease.
      await worker.stop();
      workDirs.close();
      await host.close();
      // A container runtime that never started has nothing to close; its failure was reported when a task needed it.
      if (container) await (await container.catch(() => undefined))?.close();
      await store.close();
      lock?.release();
    },
  };
}
