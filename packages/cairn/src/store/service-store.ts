/**
 * What the multi-user service stores besides runs: users, groups, members, pipelines,
 * identities, group secrets and revoked tokens. Like Store, operations only; secrets
 * and credentials arrive sealed (encrypted by the caller) and leave sealed.
 */

export type MemberRole = "owner" | "admin" | "member";

export interface UserRecord {
  login: string;
  email: string;
  passwordHash: string;
  confirmed: boolean;
  /** The code a new user confirms their address with; null once confirmed. */
  confirmationCode: string | null;
  isAdmin: boolean;
  createdAt: number;
}

export interface GroupRecord {
  id: string;
  uuid: string;
  owner: string;
  createdAt: number;
  /**
   * Cap on the running tasks of all the group's runs at once, set by a group admin; null
   * (or absent where a read leaves it out) for none beyond the server's own.
   */
  maxParallelTasks?: number | null;
}

export interface MemberRecord {
  uuid: string;
  groupId: string;
  username: string;
  role: MemberRole;
}

/** A member's view of a group: the group and the member's own row. */
export interface GroupAccessRecord {
  group: GroupRecord;
  member: MemberRecord;
}

/** The token a request carries, as far as the database is concerned: its id, its user, and for a run's token its run. */
export interface TokenRef {
  jti: string;
  login: string;
  runUuid: string | undefined;
}

/** What authenticating a token asks of the database beyond its signature, read at once. */
export interface TokenStanding {
  revoked: boolean;
  /** Undefined when the token's user no longer exists. */
  user: { login: string; isAdmin: boolean } | undefined;
  /** For a run's token: its run's status; undefined when the run does not exist. */
  runStatus: string | undefined;
}

export interface PipelineRecord {
  uuid: string;
  groupId: string;
  id: string;
  owner: string;
  /** The validated pipeline as submitted (JSON). */
  definition: unknown;
  createdAt: number;
  updatedAt: number;
  /** Who created or last changed the definition: a run's token acts for no more than this user (api/run-token-actor.ts). */
  updatedBy: string;
}

/** A Kabuto job (api/routes/kabuto-jobs.ts): added to a pipeline, run when it is submitted. */
export interface KabutoJobRecord {
  uuid: string;
  groupId: string;
  pipelineId: string;
  /** 1 for the pipeline's first job: the order submits run them in. */
  position: number;
  command: string;
  /** The image (`sha256:…`) the job runs in. */
  imageDigest: string;
  /** Its files wait in DATA_DIR/kabuto-jobs/UUID until a submit takes them. */
  hasAttachments: boolean;
  createdAt: number;
  /** The run a submit put it in; null while it waits for one. */
  runUuid: string | null;
}

/** An actor (Tapis' Actors service, Abaco): an image that handles one message per execution. */
export interface ActorRecord {
  uuid: string;
  groupId: string;
  id: string;
  owner: string;
  /** The image as named; resolved as the group may run it (images/image-access.ts) at each execution. */
  image: string;
  /** argv replacing the image's entrypoint and command; null for the image's own. */
  command: string[] | null;
  defaultEnvironment: Record<string, string>;
  description: string | null;
  /** At most this many of its executions run at once. */
  maxWorkers: number;
  createdAt: number;
  updatedAt: number;
}

export type ActorExecutionStatus = "SUBMITTED" | "RUNNING" | "COMPLETED" | "ERROR";

/** One message to an actor and what became of it. */
export interface ActorExecutionRecord {
  uuid: string;
  groupId: string;
  actorId: string;
  /** 1 for the actor's first message: messages start in this order. */
  position: number;
  /** As the container gets it in MSG: a string, or JSON text for a JSON message. */
  message: string;
  status: ActorExecutionStatus;
  exitCode: number | null;
  /** Why it ended in ERROR when its exit code does not say (the image was missing, it was cancelled, ...). */
  error: string | null;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  /** The tapis_actor task execution that sent it; null for a message sent through the API. */
  taskExecutionUuid: string | null;
}

export interface IdentityRecord {
  uuid: string;
  owner: string;
  type: string;
  name: string;
  description: string | null;
  host: string | null;
  sealedCredentials: string;
  createdAt: number;
}

export interface SecretRecord {
  groupId: string;
  name: string;
  sealedValue: string;
  createdAt: number;
  updatedAt: number;
  /** Which pipelines may read it: uuids, and "*" for every pipeline a group admin owns (secrets/secret-access.ts). */
  allowedPipelines: string[];
}

/** Where a system keeps its data. Paths are as given; the archives layer confines them. */
export type SystemSettings =
  | { type: "local"; rootDir: string }
  | { type: "ssh"; host: string; port: number; rootDir: string; identityUuid: string; hostKeySha256?: string | null }
  | ({ type: "s3" } & S3Location)
  | SlurmSystemSettings;

/**
 * A Slurm cluster that runs tapis_job tasks: its commands (sbatch, squeue, scontrol,
 * scancel) run on the server itself (`host` "localhost") or over SSH with an ssh identity
 * of the admin who created it. Job folders go under `rootDir` there.
 */
export interface SlurmSystemSettings {
  type: "slurm";
  host: string;
  /** SSH only; null for localhost. */
  port: number | null;
  identityUuid: string | null;
  hostKeySha256?: string | null;
  rootDir: string;
  /** The default partition (queue); null: the cluster's default. */
  partition: string | null;
  /** `podman`: an app with a container_image runs in it on the allocation. */
  containerRuntime: "podman" | "none";
  /** `#SBATCH` options added to every job, e.g. `--account=lab`. */
  schedulerOptions: string[];
}

/** A bucket and the key that opens it: an `s3` system, or what a self-contained S3 archive holds. */
export interface S3Location {
  /** `http(s)://host[:port]` of the S3 API. */
  endpoint: string;
  bucket: string;
  region: string;
  /** Key prefix, `/`-separated; "" for the whole bucket. */
  rootDir: string;
  /** An identity of type `s3` of the one who made the system or archive. */
  identityUuid: string;
}

/**
 * One version of an app: what a tapis_job runs and its defaults. A version is immutable:
 * there is no update, and once a run used it (`usedAt`) it cannot be deleted either.
 */
export interface AppRecord {
  uuid: string;
  groupId: string;
  id: string;
  version: string;
  owner: string;
  description: string | null;
  definition: AppDefinition;
  createdAt: number;
  /** When a run first used this version; null while unused. */
  usedAt: number | null;
}

/** An app's definition, in the API's (snake_case) shape. */
export interface AppDefinition {
  containerImage: string | null;
  command: string[];
  jobType: "BATCH";
  jobAttributes: AppJobAttributes;
}

export interface AppJobAttributes {
  execSystemId: string | null;
  nodeCount: number | null;
  coresPerNode: number | null;
  memoryMb: number | null;
  maxMinutes: number | null;
  appArgs: string[];
  envVariables: { key: string; value: string }[];
  schedulerOptions: string[];
  fileInputs: { sourceUrl: string; targetPath: string }[];
}

export interface AppStore {
  /** `conflict` when the group has that version of that app. */
  createApp(app: AppRecord): Promise<void>;
  /** Without a version: the one created last. */
  getApp(groupId: string, id: string, version?: string): Promise<AppRecord | undefined>;
  listApps(groupId: string): Promise<AppRecord[]>;
  /** NotFoundError when there is no such version; `conflict` when a run used it. */
  deleteApp(groupId: string, id: string, version: string): Promise<void>;
  /** Records the first use (later ones keep it). */
  markAppUsed(groupId: string, id: string, version: string, at: number): Promise<void>;
}

export interface SystemRecord {
  uuid: string;
  groupId: string;
  id: string;
  owner: string;
  description: string | null;
  settings: SystemSettings;
  createdAt: number;
}

/**
 * `system` and `S3` archives name one of the group's systems (an S3 archive an `s3` one);
 * an S3 archive in the Tapis shape holds its bucket itself, with `systemId` null
 * (`keysKeptForIt` when its identity was made from keys given with it, and goes with it).
 */
export type ArchiveSettings =
  | { type: "system"; systemId: string; archiveDir: string }
  | { type: "S3"; systemId: string; archiveDir: string }
  | { type: "S3"; systemId: null; archiveDir: string; location: S3Location; keysKeptForIt?: true };

export interface ArchiveRecord {
  uuid: string;
  groupId: string;
  id: string;
  owner: string;
  settings: ArchiveSettings;
  createdAt: number;
}

/** `pending` until archiving ends; a restarted server finishes pending ones. */
export type RunArchiveStatus = "pending" | "done" | "failed";

/** What became of one archive of one run. */
export interface RunArchiveRecord {
  runUuid: string;
  archiveId: string;
  status: RunArchiveStatus;
  attempts: number;
  /** Why it failed, or a note on what was written. */
  message: string | null;
  /** Where the run's folder is on the system, e.g. `sftp://host:22/data/archive/RUN`. */
  location: string | null;
  updatedAt: number;
}

export interface UserStore {
  /** `conflict` when the login or the email is taken, whatever their case. */
  createUser(user: UserRecord): Promise<void>;
  /** The user with this login in any case (`ALICE` finds `alice`); its `login` is the one it registered with. */
  getUser(login: string): Promise<UserRecord | undefined>;
  confirmUser(login: string): Promise<void>;
  countUsers(): Promise<number>;
}

export interface GroupStore {
  /** The group and its first members in one transaction; `conflict` when the id is taken. */
  createGroup(group: GroupRecord, members: MemberRecord[]): Promise<void>;
  getGroup(id: string): Promise<GroupRecord | undefined>;
  /** Groups the user is a member of (any role). */
  listGroupsOf(username: string): Promise<GroupRecord[]>;
  /** `not_found` when there is no such group; null removes the cap. */
  setGroupMaxParallelTasks(id: string, limit: number | null): Promise<void>;
  /** Deletes the group, everything it owns (members, pipelines, secrets) and its runs. */
  deleteGroup(id: string): Promise<void>;
  listMembers(groupId: string): Promise<MemberRecord[]>;
  getMember(groupId: string, username: string): Promise<MemberRecord | undefined>;
  addMember(member: MemberRecord): Promise<void>;
  setMemberRole(groupId: string, username: string, role: MemberRole): Promise<void>;
  removeMember(groupId: string, username: string): Promise<void>;
  /** The group and the user's membership in one read; undefined unless both exist. */
  getGroupAccess(groupId: string, username: string): Promise<GroupAccessRecord | undefined>;
}

export interface PipelineStore {
  createPipeline(pipeline: PipelineRecord): Promise<void>;
  getPipeline(groupId: string, id: string): Promise<PipelineRecord | undefined>;
  listPipelines(groupId: string): Promise<PipelineRecord[]>;
  updatePipeline(groupId: string, id: string, definition: unknown, updatedAt: number, updatedBy: string): Promise<void>;
  deletePipeline(groupId: string, id: string): Promise<void>;
}

export interface KabutoJobStore {
  /** Adds the job after the pipeline's last; the answer has its position. `conflict` when another was added at that instant (ask again). */
  addKabutoJob(job: Omit<KabutoJobRecord, "position" | "runUuid">): Promise<KabutoJobRecord>;
  getKabutoJob(uuid: string): Promise<KabutoJobRecord | undefined>;
  /** The pipeline's jobs in the order they were added. */
  listKabutoJobs(groupId: string, pipelineId: string): Promise<KabutoJobRecord[]>;
  /** Puts the jobs, among those no run has taken yet, in the run; the answer is how many it took. */
  markKabutoJobsSubmitted(uuids: readonly string[], runUuid: string): Promise<number>;
}

export interface ActorStore {
  /** `conflict` when the group has an actor with that id. */
  createActor(actor: ActorRecord): Promise<void>;
  getActor(groupId: string, id: string): Promise<ActorRecord | undefined>;
  listActors(groupId: string): Promise<ActorRecord[]>;
  /** Replaces what may change (image, command, environment, description, max_workers); NotFoundError when there is none. */
  updateActor(actor: ActorRecord): Promise<void>;
  /** Deletes the actor and its executions; NotFoundError when there is none. */
  deleteActor(groupId: string, id: string): Promise<void>;

  /** Queues a message after the actor's last; the answer has its position. `conflict` when another was queued at that instant (ask again). */
  addActorExecution(execution: Omit<ActorExecutionRecord, "position" | "status" | "exitCode" | "error" | "startedAt" | "endedAt">): Promise<ActorExecutionRecord>;
  getActorExecution(uuid: string): Promise<ActorExecutionRecord | undefined>;
  /** The execution a tapis_actor task execution sent, if it sent one. */
  getActorExecutionOfTask(taskExecutionUuid: string): Promise<ActorExecutionRecord | undefined>;
  /** The actor's executions, oldest first. */
  listActorExecutions(groupId: string, actorId: string): Promise<ActorExecutionRecord[]>;
  /**
   * The SUBMITTED executions that may start now, oldest first: for each actor, its first
   * queued ones, as many as its max_workers leaves room for beside those RUNNING.
   */
  actorExecutionsToStart(): Promise<ActorExecutionRecord[]>;
  /** SUBMITTED -> RUNNING, held by `holder` until `leaseExpiresAt`; false when it was no longer SUBMITTED. */
  claimActorExecution(uuid: string, holder: string, startedAt: number, leaseExpiresAt: number): Promise<boolean>;
  /** Extends the lease of the RUNNING executions the holder runs. */
  renewActorExecutionLeases(holder: string, uuids: readonly string[], leaseExpiresAt: number): Promise<void>;
  /** SUBMITTED or RUNNING -> COMPLETED or ERROR; false when it had ended already (a cancel came first, say). */
  finishActorExecution(uuid: string, end: { status: "COMPLETED" | "ERROR"; exitCode: number | null; error: string | null; endedAt: number }): Promise<boolean>;
  /** Marks ERROR, with `error`, every RUNNING execution whose lease ran out before `now` (its process died); the answer is what it marked. */
  failLapsedActorExecutions(now: number, error: string): Promise<ActorExecutionRecord[]>;
}

export interface IdentityStore {
  createIdentity(identity: IdentityRecord): Promise<void>;
  getIdentity(uuid: string): Promise<IdentityRecord | undefined>;
  listIdentities(owner: string): Promise<IdentityRecord[]>;
  deleteIdentity(uuid: string): Promise<void>;
}

export interface SecretStore {
  /** Creates or replaces. */
  putSecret(secret: SecretRecord): Promise<void>;
  getSecret(groupId: string, name: string): Promise<SecretRecord | undefined>;
  listSecrets(groupId: string): Promise<SecretRecord[]>;
  deleteSecret(groupId: string, name: string): Promise<void>;
}

export interface SystemStore {
  /** `conflict` when the group has a system with that id. */
  createSystem(system: SystemRecord): Promise<void>;
  getSystem(groupId: string, id: string): Promise<SystemRecord | undefined>;
  listSystems(groupId: string): Promise<SystemRecord[]>;
  deleteSystem(groupId: string, id: string): Promise<void>;
}

export interface ArchiveStore {
  /** `conflict` when the group has an archive with that id. */
  createArchive(archive: ArchiveRecord): Promise<void>;
  getArchive(groupId: string, id: string): Promise<ArchiveRecord | undefined>;
  listArchives(groupId: string): Promise<ArchiveRecord[]>;
  deleteArchive(groupId: string, id: string): Promise<void>;

  /** Creates or replaces the outcome of one archive of one run. */
  putRunArchive(record: RunArchiveRecord): Promise<void>;
  listRunArchives(runUuid: string): Promise<RunArchiveRecord[]>;
  listPendingRunArchives(): Promise<RunArchiveRecord[]>;
}

export interface TokenStore {
  revokeToken(jti: string, expiresAt: number): Promise<void>;
  isTokenRevoked(jti: string): Promise<boolean>;
  /** Revoked or not, the user, and for a run's token the run's status, in one read. */
  getTokenStanding(token: TokenRef): Promise<TokenStanding>;
}

/** Everything above in one: what callers reach as `store.service`. */
export interface ServiceStore
  extends UserStore, GroupStore, PipelineStore, KabutoJobStore, ActorStore, IdentityStore, SecretStore, SystemStore, AppStore, ArchiveStore, TokenStore {}
