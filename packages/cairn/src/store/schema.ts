import type { Generated } from "kysely";

/**
 * The tables as Kysely sees them: snake_case columns, timestamps as integer
 * milliseconds (bigint in PostgreSQL, read back as JS numbers), JSON as text in
 * both databases so the two store exactly the same bytes.
 */

export interface RunsTable {
  uuid: string;
  pipeline_id: string;
  group_id: string;
  status: string;
  pipeline: string;
  params: string;
  directives: string;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  message: string | null;
  started_by: string | null;
  /** Who last changed the pipeline definition the run froze (migration 0009); null when unknown. */
  defined_by: string | null;
  /** What started the run: api, cli, webhook, schedule, rerun (migration 0012); null when unknown. */
  trigger: string | null;
  /** The run this one retries (migration 0013); null for other runs. */
  retry_of: string | null;
}

/** One row per pipeline that queued a run: upserted to serialise admission decisions (migration 0017). */
export interface RunAdmissionLocksTable {
  group_id: string;
  pipeline_id: string;
  locked_at: number;
}

export interface TaskExecutionsTable {
  uuid: string;
  run_uuid: string;
  task_id: string;
  attempt: number;
  status: string;
  created_at: number;
  not_before: number | null;
  started_at: number | null;
  ended_at: number | null;
  exit_code: number | null;
  message: string | null;
  outputs: string;
  runtime_handle: string | null;
  used_cpu_us: number | null;
  peak_memory_bytes: number | null;
  read_bytes: number | null;
  written_bytes: number | null;
  image_digest: string | null;
  sealed_outputs: string | null;
  /** The execution of the retried run whose outputs and results this one reuses, without running (migration 0013). */
  reused_from: string | null;
  /** The execution whose cache entry this one was restored from, without running (migration 0018). */
  cached_from: string | null;
  /** The worker (`HOST:PID:START`) that ran the attempt, or re-attached to it last (migration 0016); null before it started. */
  worker: string | null;
}

/** A process of the service (migration 0016): renewed by its heartbeat, live while that is recent. */
export interface WorkersTable {
  id: string;
  role: string;
  slots_total: number;
  slots_used: number;
  started_at: number;
  heartbeat_at: number;
}

/** Which worker owns an unfinished run, until its lease passes (migration 0016). */
export interface RunClaimsTable {
  run_uuid: string;
  worker_id: string;
  lease_until: number;
}

export interface LogLinesTable {
  id: Generated<number>;
  execution_uuid: string;
  stream: string;
  ts: number;
  line: string;
}

export interface UsersTable {
  login: string;
  email: string;
  password_hash: string;
  /** 0 or 1: SQLite has no boolean. */
  confirmed: number;
  confirmation_code: string | null;
  is_admin: number;
  created_at: number;
  /** The login lower-cased, unique: logins differ by more than case (0010). Null only on a younger twin from before 0010. */
  login_key: string | null;
  /** The email lower-cased, unique: one account per address (0010). Null only on a younger twin from before 0010. */
  email_key: string | null;
}

export interface GroupsTable {
  id: string;
  uuid: string;
  owner: string;
  created_at: number;
  /** Cap on the running tasks of all the group's runs (migration 0017); null for none. */
  max_parallel_tasks: number | null;
}

export interface GroupMembersTable {
  uuid: string;
  group_id: string;
  username: string;
  role: string;
}

export interface PipelinesTable {
  uuid: string;
  group_id: string;
  id: string;
  owner: string;
  definition: string;
  created_at: number;
  updated_at: number;
  /** Who created or last changed the definition (migration 0009). */
  updated_by: string | null;
}

export interface IdentitiesTable {
  uuid: string;
  owner: string;
  type: string;
  name: string;
  description: string | null;
  host: string | null;
  sealed_credentials: string;
  created_at: number;
}

export interface GroupSecretsTable {
  group_id: string;
  name: string;
  sealed_value: string;
  created_at: number;
  updated_at: number;
  /** JSON array of pipeline uuids and "*" (secrets/secret-access.ts). */
  allowed_pipelines: string;
}

export interface RevokedTokensTable {
  jti: string;
  expires_at: number;
}

export interface SystemsTable {
  uuid: string;
  group_id: string;
  id: string;
  type: string;
  owner: string;
  description: string | null;
  /** JSON: the type's own fields. */
  settings: string;
  created_at: number;
}

export interface AppsTable {
  uuid: string;
  group_id: string;
  id: string;
  version: string;
  owner: string;
  description: string | null;
  /** JSON: AppDefinition. */
  definition: string;
  created_at: number;
  used_at: number | null;
}

export interface ArchivesTable {
  uuid: string;
  group_id: string;
  id: string;
  type: string;
  owner: string;
  settings: string;
  created_at: number;
}

export interface RunArchivesTable {
  run_uuid: string;
  archive_id: string;
  status: string;
  attempts: number;
  message: string | null;
  location: string | null;
  updated_at: number;
}

export interface ImagesTable {
  group_id: string;
  digest: string;
  origin: string;
  created_at: number;
  recorded_at: number;
  architecture: string | null;
  os: string | null;
  size_bytes: number | null;
  builder: string | null;
  engine: string | null;
  recipe: string | null;
  git_url: string | null;
  git_commit: string | null;
  run_uuid: string | null;
  task_id: string | null;
  bad_reason: string | null;
  marked_bad_at: number | null;
  marked_bad_by: string | null;
  /** 0 or 1: the group made the image and may keep it to itself (migration 0008). */
  owned: number;
}

export interface ImageSharesTable {
  group_id: string;
  digest: string;
  shared_with: string;
  shared_by: string;
  created_at: number;
}

export interface ImageNamesTable {
  group_id: string;
  name: string;
  digest: string;
  recorded_at: number;
}

export interface RunSupersessionsTable {
  old_run_uuid: string;
  new_run_uuid: string;
  image_digest: string;
  reason: string;
  created_at: number;
}

export interface WebhooksTable {
  uuid: string;
  pipeline_uuid: string;
  group_id: string;
  pipeline_id: string;
  type: string;
  sealed_secret: string;
  /** JSON arrays. */
  branches: string;
  events: string;
  created_by: string;
  created_at: number;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  webhook_uuid: string;
  received_at: number;
  delivery_id: string | null;
  event: string | null;
  status: number;
  reason: string;
  run_uuid: string | null;
  accepted_delivery_id: string | null;
}

export interface SchedulesTable {
  uuid: string;
  pipeline_uuid: string;
  group_id: string;
  pipeline_id: string;
  cron: string;
  timezone: string;
  /** JSON object of strings. */
  params: string;
  enabled: number;
  catch_up: number;
  created_by: string;
  created_at: number;
  updated_at: number;
  next_run_at: number | null;
  last_fired_at: number | null;
  last_run_uuid: string | null;
  last_outcome: string | null;
}

export interface Database {
  runs: RunsTable;
  run_admission_locks: RunAdmissionLocksTable;
  task_executions: TaskExecutionsTable;
  log_lines: LogLinesTable;
  users: UsersTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  pipelines: PipelinesTable;
  identities: IdentitiesTable;
  group_secrets: GroupSecretsTable;
  revoked_tokens: RevokedTokensTable;
  systems: SystemsTable;
  apps: AppsTable;
  archives: ArchivesTable;
  run_archives: RunArchivesTable;
  images: ImagesTable;
  image_names: ImageNamesTable;
  image_shares: ImageSharesTable;
  run_supersessions: RunSupersessionsTable;
  kabuto_jobs: KabutoJobsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  schedules: SchedulesTable;
  workers: WorkersTable;
  run_claims: RunClaimsTable;
  actors: ActorsTable;
  actor_executions: ActorExecutionsTable;
  cache_entries: CacheEntriesTable;
  cache_entry_objects: CacheEntryObjectsTable;
}

/** One task cache entry (migration 0018); `outputs` and `files` are JSON. */
export interface CacheEntriesTable {
  key: string;
  group_id: string;
  pipeline_id: string;
  task_id: string;
  execution_uuid: string;
  run_uuid: string;
  image_digest: string | null;
  outputs: string;
  files: string;
  exit_code: number | null;
  size_bytes: number;
  created_at: number;
  last_used_at: number;
}

export interface CacheEntryObjectsTable {
  entry_key: string;
  digest: string;
}

export interface KabutoJobsTable {
  uuid: string;
  group_id: string;
  pipeline_id: string;
  position: number;
  command: string;
  image_digest: string;
  /** 0 or 1: the job's files wait in DATA_DIR/kabuto-jobs/UUID until a submit takes them. */
  has_attachments: number;
  created_at: number;
  run_uuid: string | null;
}

export interface ActorsTable {
  uuid: string;
  group_id: string;
  id: string;
  owner: string;
  image: string;
  /** JSON array of strings (argv); null to run the image's own command. */
  command: string | null;
  /** JSON object of strings. */
  default_environment: string;
  description: string | null;
  max_workers: number;
  created_at: number;
  updated_at: number;
}

export interface ActorExecutionsTable {
  uuid: string;
  group_id: string;
  actor_id: string;
  /** 1 for the actor's first message: the order they run in. */
  position: number;
  message: string;
  /** SUBMITTED, RUNNING, COMPLETED or ERROR. */
  status: string;
  exit_code: number | null;
  error: string | null;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  /** The tapis_actor task execution that sent the message; null for a message sent through the API. */
  task_execution_uuid: string | null;
  /** The process that runs it, while RUNNING. */
  holder: string | null;
  lease_expires_at: number | null;
}
