import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CairnError } from "./errors.js";
import { parseMemory } from "./spec/parse-memory.js";
import { parseEgressAllow, type EgressAllowEntry } from "./net/egress-allow.js";

/**
 * The only module that reads the environment. Options are compiled once (strings to
 * numbers, human durations to ms), checked, and handed down as one frozen object.
 */

export interface CairnConfig {
  /** Holds the SQLite database, attempt working directories, caches and the engine socket. */
  dataDir: string;
  /** A postgres:// URL switches the store from the embedded SQLite file. */
  databaseUrl: string | undefined;
  /** Docker Engine API endpoint (`unix:///path` or `tcp://host:port`). Unset: Cairn starts Podman on `podmanSocket`. */
  dockerHost: string | undefined;
  podmanSocket: string;
  /**
   * How long the Podman service Cairn starts waits with no connection before it ends
   * (CAIRN_PODMAN_IDLE_TIMEOUT, a duration, default 10m, rounded up to whole seconds): it outlives the process that
   * started it only that long, so a later `cairn` reuses it and nothing piles up.
   */
  podmanIdleTimeoutMs: number;
  /** Whether pipelines may choose `execution_profile.runtime: host`. */
  allowHostRuntime: boolean;
  /** Host-runtime `python3 SCRIPT.py` processes start as forks of the launcher's warm interpreter where that equals an exec (CAIRN_PYTHON_FORK, default on). */
  pythonFork: boolean;
  /** Most task attempts running at once. */
  maxParallelTasks: number;
  /** Container image per function runtime family. */
  functionImages: { python: string; node: string; bash: string };
  /** Container image per versioned function runtime (CAIRN_FUNCTION_IMAGES, `python3.9=IMAGE,node18=IMAGE`). */
  functionVersionImages: Readonly<Record<string, string>>;
  /** A local directory of wheels/sdists: pip installs from it, with no index. */
  pipFindLinks: string | undefined;
  /** Keep attempt working directories after a run (they are removed otherwise). */
  keepWorkDirs: boolean;
  /** How long an ended run's working folder is kept before it is deleted (CAIRN_WORK_DIR_GRACE; 0: at once). */
  workDirGraceMs: number;
  /**
   * A schedule's fire found later than this was missed while no Cairn process ran: skipped,
   * or with catch_up the most recent one fired once (CAIRN_SCHEDULE_MISSED_AFTER, default 30s).
   */
  scheduleMissedAfterMs: number;
  /** The most bytes one request may upload as attachments (CAIRN_MAX_UPLOAD_BYTES, default 10 GiB). */
  maxUploadBytes: number;
  /** `local` systems live under this folder, one sub-folder per group (CAIRN_LOCAL_SYSTEMS_ROOT, default DATA_DIR/systems). */
  localSystemsRoot: string;
  /** SLURM_CONF for the Slurm commands of `localhost` slurm systems (CAIRN_SLURM_CONF); unset, they inherit the server's environment. */
  slurmConf: string | undefined;
  /** Secrets for local runs (`cairn run`), from CAIRN_SECRET_<NAME> variables; the server keeps its own. */
  localSecrets: Readonly<Record<string, string>>;
  /** Where `cairn server` listens. Loopback by default: exposing it is a decision. */
  host: string;
  port: number;
  /** Base64 of 32 bytes that seals secrets and signs tokens; unset, the server keeps one in DATA_DIR/secret.key. */
  dataKey: string | undefined;
  /** Password for the admin user the server creates on its first start (one is generated and printed when unset). */
  adminPassword: string | undefined;
  /** How long a log-in token lasts. */
  sessionTtlSeconds: number;
  /** What a `github` image build context's `account/repo` resolves against (GitHub Enterprise, a test server); no trailing slash. */
  githubUrl: string;
  /** The registry host of `dockerhub` contexts and destinations. */
  dockerhubRegistry: string;
  /** Registries (`host:port`) spoken to over plain HTTP, without TLS; every other one must have valid TLS. */
  insecureRegistries: readonly string[];
  /**
   * Mirrors by registry (CAIRN_REGISTRY_MIRRORS, `docker.io=127.0.0.1:5000,quay.io=mirror.lab`):
   * a task's image of such a registry is pulled from its mirror and keeps its own name.
   */
  registryMirrors: Readonly<Record<string, string>>;
  /** The materialization cache: images saved as archives named by digest (CAIRN_IMAGE_CACHE, default DATA_DIR/images). */
  imageCacheDir: string;
  /**
   * Every image a task pulls is also saved into the image cache (CAIRN_IMAGE_CACHE=materialize,
   * or materialize:DIR), as WfExS' container factories do, so a later run works offline.
   */
  materializePulls: boolean;
  /** Offline mode (CAIRN_OFFLINE): nothing is pulled or pushed; images come from the engine or the cache only. */
  offline: boolean;
  /**
   * Hosts, host:port pairs and CIDR ranges that request tasks and git/registry fetches may
   * reach although they are loopback, private, link-local or metadata addresses
   * (CAIRN_EGRESS_ALLOW, comma-separated; default none).
   */
  egressAllow: readonly EgressAllowEntry[];
  /** Longest wait for a server-side fetch's connection (CAIRN_EGRESS_CONNECT_TIMEOUT, default 30s). */
  egressConnectTimeoutMs: number;
  /** Longest a whole server-side fetch may take: a request task's call, a git clone (CAIRN_EGRESS_FETCH_TIMEOUT, default 10m). */
  egressFetchTimeoutMs: number;
  /** Who may create accounts with POST /register (CAIRN_REGISTRATION): anyone (`open`, the default), server admins only (`admin`), or nobody (`closed`). */
  registration: RegistrationMode;
  /** Registration attempts one client address may make per hour (CAIRN_REGISTRATIONS_PER_HOUR, default 20); server admins are not counted. */
  registrationsPerHour: number;
  /** Failed log-ins on one account before it is locked for a while (CAIRN_LOGIN_FAILURES_PER_ACCOUNT, default 5). */
  loginFailuresPerAccount: number;
  /** Failed log-ins from one client address before it is locked for a while (CAIRN_LOGIN_FAILURES_PER_ADDRESS, default 20). */
  loginFailuresPerAddress: number;
  /** The longest a lock lasts; each failure beyond the limit doubles it from one second (CAIRN_LOGIN_LOCK_MAX, default 15m). */
  loginLockMaxMs: number;
  /**
   * How long a refused (429) log-in or registration waits before it is answered (CAIRN_LOGIN_REFUSAL_DELAY, default 1s; 0: at once):
   * a client that ignores Retry-After and asks again at once would otherwise keep a core busy with refusals.
   */
  loginRefusalDelayMs: number;
  /**
   * The shortest password POST /register accepts (CAIRN_MIN_PASSWORD_LENGTH, default 8). Kabuto's
   * README registers with the 6-character `SecreT`; a server for its clients may lower this.
   */
  minPasswordLength: number;
  /**
   * The web UI's built files, served at `/` by `cairn server` (CAIRN_WEB_DIR; default the
   * workspace's packages/web/dist, which `npm run build` makes).
   */
  webDir: string;
  /** How much `cairn server` logs, as JSON lines on standard output (CAIRN_LOG_LEVEL: fatal, error, warn, info (default), debug, trace or silent). */
  logLevel: LogLevel;
  /** When set, GET /metrics asks for `Authorization: Bearer TOKEN` (CAIRN_METRICS_TOKEN); unset, it is open like /healthz. */
  metricsToken: string | undefined;
  /** CAIRN_CACHE_MAX_BYTES: the task cache's bound; the least recently used entries are evicted past it. */
  cacheMaxBytes: number;
  /**
   * What `cairn server` does (--role or CAIRN_ROLE): `api` serves and runs nothing, `worker` runs
   * tasks and serves only /healthz, /readyz and /metrics, `all` (the default) does both. Only
   * `all` on SQLite, where there is one process.
   */
  role: WorkerRole;
  /**
   * How long a worker's claim on a run lasts without a heartbeat (CAIRN_LEASE_SECONDS, default 10):
   * heartbeats come at a third of it, and another process takes a run over once it passed.
   */
  leaseSeconds: number;
}

/** `api` serves and runs nothing; `worker` runs tasks and serves only the operations routes; `all` does both. */
export const WORKER_ROLES = ["api", "worker", "all"] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

export const REGISTRATION_MODES = ["open", "admin", "closed"] as const;
export type RegistrationMode = (typeof REGISTRATION_MODES)[number];

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type Env = Record<string, string | undefined>;

export function loadConfig(overrides: Partial<CairnConfig> = {}, env: Env = process.env): Readonly<CairnConfig> {
  const dataDir = resolve(overrides.dataDir ?? env.CAIRN_DATA_DIR ?? join(homedir(), ".cairn"));
  const config: CairnConfig = {
    dataDir,
    databaseUrl: overrides.databaseUrl ?? nonEmpty(env.CAIRN_DATABASE_URL),
    dockerHost: overrides.dockerHost ?? nonEmpty(env.CAIRN_DOCKER_HOST) ?? nonEmpty(env.DOCKER_HOST),
    podmanSocket: overrides.podmanSocket ?? env.CAIRN_PODMAN_SOCKET ?? join(dataDir, "podman", "podman.sock"),
    podmanIdleTimeoutMs: overrides.podmanIdleTimeoutMs ?? parsePositiveDuration("CAIRN_PODMAN_IDLE_TIMEOUT", env.CAIRN_PODMAN_IDLE_TIMEOUT, 10 * 60_000),
    allowHostRuntime: overrides.allowHostRuntime ?? parseBool("CAIRN_ALLOW_HOST_RUNTIME", env.CAIRN_ALLOW_HOST_RUNTIME, false),
    pythonFork: overrides.pythonFork ?? parseBool("CAIRN_PYTHON_FORK", env.CAIRN_PYTHON_FORK, true),
    maxParallelTasks: overrides.maxParallelTasks ?? parsePositiveInt("CAIRN_MAX_PARALLEL_TASKS", env.CAIRN_MAX_PARALLEL_TASKS, 4),
    functionImages: overrides.functionImages ?? {
      python: env.CAIRN_FUNCTION_IMAGE_PYTHON ?? "docker.io/library/python:3.12-slim",
      node: env.CAIRN_FUNCTION_IMAGE_NODE ?? "docker.io/library/node:20-slim",
      bash: env.CAIRN_FUNCTION_IMAGE_BASH ?? "docker.io/library/bash:5",
    },
    functionVersionImages: overrides.functionVersionImages ?? parseFunctionVersionImages(env.CAIRN_FUNCTION_IMAGES),
    pipFindLinks: overrides.pipFindLinks ?? nonEmpty(env.CAIRN_PIP_FIND_LINKS),
    keepWorkDirs: overrides.keepWorkDirs ?? parseBool("CAIRN_KEEP_WORK_DIRS", env.CAIRN_KEEP_WORK_DIRS, false),
    workDirGraceMs: overrides.workDirGraceMs ?? parseGrace(env.CAIRN_WORK_DIR_GRACE),
    scheduleMissedAfterMs: overrides.scheduleMissedAfterMs ?? parsePositiveDuration("CAIRN_SCHEDULE_MISSED_AFTER", env.CAIRN_SCHEDULE_MISSED_AFTER, 30_000),
    maxUploadBytes: overrides.maxUploadBytes ?? parseSize("CAIRN_MAX_UPLOAD_BYTES", env.CAIRN_MAX_UPLOAD_BYTES, DEFAULT_MAX_UPLOAD_BYTES),
    localSystemsRoot: resolve(overrides.localSystemsRoot ?? nonEmpty(env.CAIRN_LOCAL_SYSTEMS_ROOT) ?? join(dataDir, "systems")),
    slurmConf: overrides.slurmConf ?? nonEmpty(env.CAIRN_SLURM_CONF),
    localSecrets: overrides.localSecrets ?? secretsFromEnv(env),
    host: overrides.host ?? nonEmpty(env.CAIRN_HOST) ?? "127.0.0.1",
    port: overrides.port ?? parsePort(env.CAIRN_PORT),
    dataKey: overrides.dataKey ?? nonEmpty(env.CAIRN_DATA_KEY),
    adminPassword: overrides.adminPassword ?? nonEmpty(env.CAIRN_ADMIN_PASSWORD),
    sessionTtlSeconds: overrides.sessionTtlSeconds ?? parsePositiveInt("CAIRN_SESSION_TTL_SECONDS", env.CAIRN_SESSION_TTL_SECONDS, 12 * 3600),
    githubUrl: overrides.githubUrl ?? parseBaseUrl("CAIRN_GITHUB_URL", env.CAIRN_GITHUB_URL, "https://github.com"),
    dockerhubRegistry: overrides.dockerhubRegistry ?? parseRegistryHosts("CAIRN_DOCKERHUB_REGISTRY", env.CAIRN_DOCKERHUB_REGISTRY)[0] ?? "docker.io",
    insecureRegistries: overrides.insecureRegistries ?? parseRegistryHosts("CAIRN_INSECURE_REGISTRIES", env.CAIRN_INSECURE_REGISTRIES),
    registryMirrors: overrides.registryMirrors ?? parseRegistryMirrors(env.CAIRN_REGISTRY_MIRRORS),
    imageCacheDir: resolve(overrides.imageCacheDir ?? nonEmpty(imageCacheSetting(env.CAIRN_IMAGE_CACHE).dir) ?? join(dataDir, "images")),
    materializePulls: overrides.materializePulls ?? imageCacheSetting(env.CAIRN_IMAGE_CACHE).materialize,
    offline: overrides.offline ?? parseBool("CAIRN_OFFLINE", env.CAIRN_OFFLINE, false),
    logLevel: overrides.logLevel ?? parseLogLevel(env.CAIRN_LOG_LEVEL),
    webDir: resolve(overrides.webDir ?? nonEmpty(env.CAIRN_WEB_DIR) ?? DEFAULT_WEB_DIR),
    metricsToken: overrides.metricsToken ?? nonEmpty(env.CAIRN_METRICS_TOKEN),
    egressAllow: overrides.egressAllow ?? parseEgressAllowEnv(env.CAIRN_EGRESS_ALLOW),
    egressConnectTimeoutMs: overrides.egressConnectTimeoutMs ?? parsePositiveDuration("CAIRN_EGRESS_CONNECT_TIMEOUT", env.CAIRN_EGRESS_CONNECT_TIMEOUT, 30_000),
    egressFetchTimeoutMs: overrides.egressFetchTimeoutMs ?? parsePositiveDuration("CAIRN_EGRESS_FETCH_TIMEOUT", env.CAIRN_EGRESS_FETCH_TIMEOUT, 600_000),
    registration: overrides.registration ?? parseRegistrationMode(env.CAIRN_REGISTRATION),
    registrationsPerHour: overrides.registrationsPerHour ?? parsePositiveInt("CAIRN_REGISTRATIONS_PER_HOUR", env.CAIRN_REGISTRATIONS_PER_HOUR, 20),
    loginFailuresPerAccount: overrides.loginFailuresPerAccount ?? parsePositiveInt("CAIRN_LOGIN_FAILURES_PER_ACCOUNT", env.CAIRN_LOGIN_FAILURES_PER_ACCOUNT, 5),
    loginFailuresPerAddress: overrides.loginFailuresPerAddress ?? parsePositiveInt("CAIRN_LOGIN_FAILURES_PER_ADDRESS", env.CAIRN_LOGIN_FAILURES_PER_ADDRESS, 20),
    loginLockMaxMs: overrides.loginLockMaxMs ?? parseLockMax(env.CAIRN_LOGIN_LOCK_MAX),
    loginRefusalDelayMs: overrides.loginRefusalDelayMs ?? parseRefusalDelay(env.CAIRN_LOGIN_REFUSAL_DELAY),
    minPasswordLength: overrides.minPasswordLength ?? parsePositiveInt("CAIRN_MIN_PASSWORD_LENGTH", env.CAIRN_MIN_PASSWORD_LENGTH, 8),
    cacheMaxBytes: overrides.cacheMaxBytes ?? parseSize("CAIRN_CACHE_MAX_BYTES", env.CAIRN_CACHE_MAX_BYTES, DEFAULT_CACHE_MAX_BYTES),
    role: overrides.role ?? parseRole(env.CAIRN_ROLE),
    leaseSeconds: overrides.leaseSeconds ?? parsePositiveInt("CAIRN_LEASE_SECONDS", env.CAIRN_LEASE_SECONDS, 10),
  };
  if (config.role !== "all" && config.databaseUrl === undefined) {
    throw new CairnError(
      "config_invalid",
      `--role ${config.role} (CAIRN_ROLE) needs PostgreSQL (--database-url / CAIRN_DATABASE_URL): with SQLite one process does everything, so its role is 'all'`,
    );
  }
  if (config.databaseUrl && !/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    throw new CairnError("config_invalid", `CAIRN_DATABASE_URL must be a postgres:// URL, got '${config.databaseUrl}'`);
  }
  return Object.freeze(config);
}

/** packages/web/dist beside this package: config.ts sits in src/ (tsx) or dist/ (built), both one folder below packages/cairn. */
const DEFAULT_WEB_DIR = fileURLToPath(new URL("../../web/dist", import.meta.url));
/** The task cache's default bound: room for many tasks' results, small next to a data set (docs/task-cache.md). */
export const DEFAULT_CACHE_MAX_BYTES = 10 * 1024 ** 3;
function parseRole(value: string | undefined): WorkerRole {
  const role = nonEmpty(value) ?? "all";
  if (!(WORKER_ROLES as readonly string[]).includes(role)) throw new CairnError("config_invalid", `--role (CAIRN_ROLE) must be one of ${WORKER_ROLES.join(", ")}, got '${value}'`);
  return role as WorkerRole;
}

/** Uploads bigger than this are refused unless CAIRN_MAX_UPLOAD_BYTES says otherwise: big enough for a data set, small enough to stop a runaway client. */
export const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 ** 3;

function parseLogLevel(value: string | undefined): LogLevel {
  if (value === undefined || value.trim() === "") return "info";
  const level = value.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new CairnError("config_invalid", `CAIRN_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got '${value}'`);
  return level as LogLevel;
}

function parseGrace(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return 0;
  const ms = parseDuration(value);
  if (ms === undefined) throw new CairnError("config_invalid", `CAIRN_WORK_DIR_GRACE must be a duration such as 0, 90s, 10m or 2h, got '${value}'`);
  return ms;
}

function parseEgressAllowEnv(value: string | undefined): EgressAllowEntry[] {
  if (value === undefined) return [];
  try {
    return parseEgressAllow(value);
  } catch (cause) {
    throw new CairnError("config_invalid", `CAIRN_EGRESS_ALLOW: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

function parsePositiveDuration(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new CairnError("config_invalid", `${name} must be a duration above 0 such as 500ms, 30s or 10m, got '${value}'`);
  return ms;
}

function parseRegistrationMode(value: string | undefined): RegistrationMode {
  if (value === undefined || value.trim() === "") return "open";
  const mode = value.trim().toLowerCase();
  if (!(REGISTRATION_MODES as readonly string[]).includes(mode)) {
    throw new CairnError("config_invalid", `CAIRN_REGISTRATION must be open, admin or closed, got '${value}'`);
  }
  return mode as RegistrationMode;
}

/** At least a second: the first lock lasts one, and a shorter cap would make locks pointless. */
function parseLockMax(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return 15 * 60_000;
  const ms = parseDuration(value);
  if (ms === undefined || ms < 1000) throw new CairnError("config_invalid", `CAIRN_LOGIN_LOCK_MAX must be a duration of at least 1s, such as 30s, 15m or 1h, got '${value}'`);
  return ms;
}

/** At most 10 s: each refused request is held open that long, and a client's own timeout should not fire first. */
function parseRefusalDelay(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return 1000;
  const ms = parseDuration(value);
  if (ms === undefined || ms > 10_000) throw new CairnError("config_invalid", `CAIRN_LOGIN_REFUSAL_DELAY must be a duration of at most 10s, such as 0, 500ms or 1s, got '${value}'`);
  return ms;
}

function parseSize(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const bytes = parseMemory(value);
  if (bytes === undefined) throw new CairnError("config_invalid", `${name} must be a size in bytes or with a unit (512m, 10g, 1.5GiB), got '${value}'`);
  return bytes;
}

function secretsFromEnv(env: Env): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith("CAIRN_SECRET_") && value !== undefined) secrets[key.slice("CAIRN_SECRET_".length)] = value;
  }
  return secrets;
}

function parseBaseUrl(name: string, value: string | undefined, fallback: string): string {
  if (value === undefined || value.trim() === "") return fallback;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch (cause) {
    throw new CairnError("config_invalid", `${name} must be an http:// or https:// URL, got '${value}'`, { cause });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new CairnError("config_invalid", `${name} must be an http:// or https:// URL, got '${value}'`);
  return url.href.replace(/\/+$/, "");
}

/** Comma-separated `host[:port]` names, as image references spell registries. */
function parseRegistryHosts(name: string, value: string | undefined): string[] {
  if (value === undefined) return [];
  const hosts = value
    .split(",")
    .map((h) => h.trim())
    .filter((h) => h !== "");
  for (const host of hosts) {
    if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(host)) throw new CairnError("config_invalid", `${name} takes registry hosts like registry.example.org:5000, got '${host}'`);
  }
  return hosts;
}

/** CAIRN_IMAGE_CACHE: a folder; `materialize` (the default folder) or `materialize:DIR` also saves every pulled image there. */
function imageCacheSetting(value: string | undefined): { dir: string | undefined; materialize: boolean } {
  const match = /^materialize(?::(.*))?$/.exec(value?.trim() ?? "");
  return match ? { dir: match[1], materialize: true } : { dir: value, materialize: false };
}

/** `python3.9=lab/python:3.9, node18=lab/node:18` -> { "python3.9": "lab/python:3.9", "node18": "lab/node:18" }. */
function parseFunctionVersionImages(value: string | undefined): Record<string, string> {
  const images: Record<string, string> = {};
  for (const pair of (value ?? "").split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const [runtime, image, ...extra] = pair.split("=").map((p) => p.trim());
    if (!runtime || !image || extra.length > 0 || !/^(python3\.\d+|node\d+)$/.test(runtime)) {
      throw new CairnError("config_invalid", `CAIRN_FUNCTION_IMAGES takes RUNTIME=IMAGE pairs with a versioned runtime, like python3.9=docker.io/library/python:3.9-slim or node18=lab/node:18, got '${pair}'`);
    }
    images[runtime] = image;
  }
  return images;
}

/** `docker.io=127.0.0.1:5000, quay.io=mirror.lab` -> { "docker.io": "127.0.0.1:5000", "quay.io": "mirror.lab" }. */
function parseRegistryMirrors(value: string | undefined): Record<string, string> {
  const mirrors: Record<string, string> = {};
  for (const pair of (value ?? "").split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const [registry, mirror, ...extra] = pair.split("=").map((p) => p.trim());
    if (!registry || !mirror || extra.length > 0) throw new CairnError("config_invalid", `CAIRN_REGISTRY_MIRRORS takes REGISTRY=MIRROR pairs like docker.io=127.0.0.1:5000, got '${pair}'`);
    parseRegistryHosts("CAIRN_REGISTRY_MIRRORS", `${registry},${mirror}`);
    mirrors[registry] = mirror;
  }
  return mirrors;
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === "") return 8080;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new CairnError("config_invalid", `CAIRN_PORT must be a port number from 0 to 65535, got '${value}'`);
  return n;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

function parseBool(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new CairnError("config_invalid", `${name} must be 1/0, true/false, yes/no or on/off, got '${value}'`);
}

function parsePositiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CairnError("config_invalid", `${name} must be a whole number of at least 1, got '${value}'`);
  return n;
}

/** Where the CLI's client commands (`cairn login`, `apply`, `runs`, ...) find their server when nothing says. */
export const DEFAULT_SERVER = "http://127.0.0.1:8080";

/** What the CLI needs to talk to a server: flags first, then the environment. */
export interface ClientConfig {
  /** `--server` or CAIRN_SERVER, without a trailing slash; unset: the server of the last `cairn login`, else DEFAULT_SERVER. */
  server: string | undefined;
  /** CAIRN_TOKEN: used instead of the token `cairn login` stored. */
  token: string | undefined;
  /** `--user` or CAIRN_USER, for `cairn login`. */
  user: string | undefined;
  /** CAIRN_PASSWORD, for `cairn login` in scripts (else a prompt, or standard input when it is not a terminal). */
  password: string | undefined;
  /** Where `cairn login` keeps its tokens: $XDG_CONFIG_HOME/cairn/session.json, or ~/.config/cairn/session.json. */
  sessionFile: string;
}

export function loadClientConfig(overrides: Partial<ClientConfig> = {}, env: Env = process.env): Readonly<ClientConfig> {
  const server = overrides.server ?? nonEmpty(env.CAIRN_SERVER);
  const configHome = nonEmpty(env.XDG_CONFIG_HOME) ?? join(nonEmpty(env.HOME) ?? homedir(), ".config");
  return Object.freeze({
    server: server === undefined ? undefined : parseServerUrl(server),
    token: overrides.token ?? nonEmpty(env.CAIRN_TOKEN),
    user: overrides.user ?? nonEmpty(env.CAIRN_USER),
    // Not trimmed, unlike the other values: spaces may be part of a password.
    password: overrides.password ?? (env.CAIRN_PASSWORD || undefined),
    sessionFile: overrides.sessionFile ?? join(resolve(configHome), "cairn", "session.json"),
  });
}

/** `http(s)://host[:port][/prefix]`, without a trailing slash, so it can key the stored sessions. */
export function parseServerUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (err) {
    throw new CairnError("config_invalid", `the server must be a URL such as ${DEFAULT_SERVER}, got '${value}'`, { cause: err });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CairnError("config_invalid", `the server URL must start with http:// or https://, got '${value}'`);
  }
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw new CairnError("config_invalid", `the server URL must not have a query, fragment or credentials, got '${value}'`);
  }
  return url.href.replace(/\/+$/, "");
}

/**
 * Human durations ("500ms", "30s", "5m", "2h") or plain seconds to milliseconds.
 * Returns undefined for anything else, so callers can name the field in their error.
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h" | "d"];
  return Number(m[1]) * unit;
}
