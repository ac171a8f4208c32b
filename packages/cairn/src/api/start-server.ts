import { randomBytes } from "node:crypto";
import { Archiver } from "../archives/archiver.js";
import type { S3Credentials } from "../archives/s3-target.js";
import type { SshCredentials } from "../archives/sftp-target.js";
import { systemConnector } from "../archives/system-connector.js";
import { slurmConnector } from "../runtimes/slurm/slurm-connector.js";
import { hashPassword, verifyPassword } from "../auth/password-hash.js";
import { newConfirmationCode } from "../auth/confirmation-code.js";
import type { CairnConfig } from "../config.js";
import { TaskFailure } from "../errors.js";
import { openCairn, type Cairn } from "../open-cairn.js";
import { loadOrCreateKey, type DataKey } from "../secrets/key-ring.js";
import { readGroupSecret } from "../secrets/secret-access.js";
import { open, seal } from "../secrets/sealed-box.js";
import type { ApiApp, ApiContext, Sealer } from "./api-context.js";
import { buildApi, type ApiOptions } from "./build-api.js";
import { runSecretValues } from "./run-secret-values.js";
import { identityBinding } from "./routes/identities.js";
import { ServerMetrics } from "./server-metrics.js";
import { SignedTokenService } from "./token-service.js";
import { Scheduler } from "../triggers/scheduler.js";
import { Takeover } from "../engine/takeover.js";

export interface RunningServer {
  app: ApiApp;
  cairn: Cairn;
  archiver: Archiver;
  /** `http://host:port` it listens on. */
  url: string;
  /** Set when this start created the first admin user with a generated password. */
  createdAdmin?: { login: string; password: string };
  close(): Promise<void>;
}

export const FIRST_ADMIN_LOGIN = "admin";

/**
 * `cairn server`: the API, the scheduler and a worker in one process, on the embedded
 * database (or PostgreSQL) and the local container engine. Unfinished runs of an earlier
 * process are taken over before the first request is served.
 */
export async function startServer(config: CairnConfig, options: Pick<ApiOptions, "log"> = {}): Promise<RunningServer> {
  const { key } = await loadOrCreateKey({ configuredKey: config.dataKey, dataDir: config.dataDir });
  const sealer = sealerFor(key);
  let cairn: Cairn | undefined;
  let tokens: SignedTokenService | undefined;
  // Tasks may start (recovered runs) before the port is known; their grants wait for it.
  let announceUrl!: (url: string) => void;
  const apiUrl = new Promise<string>((resolve) => (announceUrl = resolve));
  const systems = systemConnector({
    localSystemsRoot: config.localSystemsRoot,
    sshCredentials: async (identityUuid) => {
      const identity = await cairn!.store.service.getIdentity(identityUuid);
      if (identity?.type !== "ssh") return undefined;
      return JSON.parse(sealer.open(identity.sealedCredentials, identityBinding(identity.uuid))) as SshCredentials;
    },
    s3Credentials: async (identityUuid) => {
      const identity = await cairn!.store.service.getIdentity(identityUuid);
      if (identity?.type !== "s3") return undefined;
      return JSON.parse(sealer.open(identity.sealedCredentials, identityBinding(identity.uuid))) as S3Credentials;
    },
  });
  // Slurm systems over SSH log in with their creator's ssh identity, like SFTP archives.
  const slurm = slurmConnector({
    slurmConf: config.slurmConf,
    sshCredentials: async (identityUuid) => {
      const identity = await cairn!.store.service.getIdentity(identityUuid);
      if (identity?.type !== "ssh") return undefined;
      return JSON.parse(sealer.open(identity.sealedCredentials, identityBinding(identity.uuid))) as SshCredentials;
    },
  });
  // Runs end only once recovery or a request started them, by which time it exists.
  let archiver: Archiver | undefined;
  cairn = await openCairn(config, {
    takeRun: (run) => archiver!.takeRun(run),
    apiAccess: {
      async grant(run) {
        if (!run.startedBy) throw new TaskFailure("inject_api_token: the run has no user to act for (it was not started through the API)", { retryable: false });
        const { token } = await tokens!.issueRunToken({ ...run, startedBy: run.startedBy });
        return { url: `${await apiUrl}/v3/workflows`, token };
      },
    },
    allowHostRuntime: config.allowHostRuntime,
    prepareHost: config.allowHostRuntime,
    identities: async (uuid, owner) => {
      const identity = await cairn!.store.service.getIdentity(uuid);
      if (!identity || identity.owner !== owner) return undefined;
      const credentials = JSON.parse(sealer.open(identity.sealedCredentials, identityBinding(identity.uuid))) as Record<string, string>;
      return { type: identity.type, host: identity.host, credentials };
    },
    // A task's image is pulled with the starter's identity for its registry: a `registry` one of that host, or a `dockerhub` one for Docker Hub.
    registryIdentities: async (owner, registry) => {
      const dockerHub = registry === config.dockerhubRegistry || registry === "docker.io";
      const identity = (await cairn!.store.service.listIdentities(owner)).find((i) => (i.type === "registry" && i.host === registry) || (i.type === "dockerhub" && dockerHub));
      if (!identity) return undefined;
      const credentials = JSON.parse(sealer.open(identity.sealedCredentials, identityBinding(identity.uuid))) as Record<string, string>;
      return { type: identity.type, host: identity.host, credentials };
    },
    secrets: (name, groupId, pipelineId) => readGroupSecret(cairn!.store.service, sealer.open, { name, groupId, pipelineId }),
    outputSealer: sealer,
    slurm,
    role: config.role,
  });
  const workDirs = cairn.workDirs;
  archiver = new Archiver({
    store: cairn.store,
    config,
    systems,
    warn: (message) => process.emitWarning(message, "CairnArchiving"),
    releaseWorkDir: (run) => workDirs.release(run),
    secretValues: (run) => runSecretValues(cairn!.store.service, sealer, run),
  });
  try {
    const ctx: ApiContext = {
      config,
      store: cairn.store,
      engine: cairn.engine,
      actors: cairn.actors,
      sealer,
      tokens: (tokens = new SignedTokenService(key, cairn.store, config.sessionTtlSeconds)),
      passwords: { hash: hashPassword, verify: verifyPassword },
      systems,
      slurm,
      ...(cairn.runtimes.images ? { imageEngine: cairn.runtimes.images } : {}),
      newConfirmationCode,
    };
    const createdAdmin = await ensureFirstAdmin(ctx);
    // Before recovery, so that the engine's calls for recovered runs are counted too.
    const metrics = new ServerMetrics(cairn.store);
    metrics.countEngineErrors(cairn.runtimes);
    const stopWatching = metrics.watchEngine(cairn.engine);
    const { engine, store } = cairn;
    const worker = cairn.worker;
    worker.measure(() => engine.busySlots, () => engine.activeRunIds());
    // Several processes: runs are claimed (takeover.ts). One: every unfinished run is this process's.
    const takeover = store.capabilities.multipleWriters && worker.executes ? new Takeover({ store, engine, registry: worker }) : undefined;
    if (takeover) await takeover.start();
    else if (worker.executes) await engine.recover();
    // Runs end where they run: an `api` process has none to archive.
    if (worker.executes) await archiver.recover();
    // After the engine's recovery, whose tapis_actor tasks follow the executions they sent; an `api` process runs no actor.
    if (worker.executes) cairn.actors.start();
    const app = await buildApi(ctx, { ...options, metrics, operationsOnly: config.role === "worker" });
    const url = await app.listen({ host: config.host, port: config.port });
    announceUrl(url);
    const scheduler = new Scheduler({ store: cairn.store, engine: cairn.engine, missedAfterMs: config.scheduleMissedAfterMs, warn: (message) => process.emitWarning(message, "CairnSchedules") }).start();
    const opened = cairn;
    const openedArchiver = archiver;
    return {
      app,
      cairn,
      archiver,
      url,
      ...(createdAdmin ? { createdAdmin } : {}),
      async close() {
        await app.close();
        await scheduler.stop();
        await takeover?.stop();
        // Archiving stops between tries; what is unfinished is finished by the next start.
        await opened.engine.close();
        stopWatching();
        await openedArchiver.close();
        await opened.close();
      },
    };
  } catch (err) {
    await archiver.close();
    await cairn.close();
    throw err;
  }
}

function sealerFor(key: DataKey): Sealer {
  return {
    seal: (plaintext, boundTo) => seal(key, plaintext, boundTo),
    open: (sealed, boundTo) => open(key, sealed, boundTo),
  };
}

/** On a store with no users, creates the admin user: with CAIRN_ADMIN_PASSWORD, or a generated password reported once. */
async function ensureFirstAdmin(ctx: ApiContext): Promise<{ login: string; password: string } | undefined> {
  if ((await ctx.store.service.countUsers()) > 0) return undefined;
  const password = ctx.config.adminPassword ?? randomBytes(18).toString("base64url");
  const created = await ctx.store.service
    .createUser({
      login: FIRST_ADMIN_LOGIN,
      email: "admin@localhost",
      passwordHash: await ctx.passwords.hash(password),
      confirmed: true,
      confirmationCode: null,
      isAdmin: true,
      createdAt: Date.now(),
    })
    .then(
      () => true,
      (err: unknown) => {
        // Another server process sharing the database created it first.
        if ((err as { code?: string }).code !== "conflict") throw err;
        return false;
      },
    );
  return created && ctx.config.adminPassword === undefined ? { login: FIRST_ADMIN_LOGIN, password } : undefined;
}
