CREATE TABLE "actor_executions" ("uuid" text primary key, "group_id" text not null, "actor_id" text not null, "position" integer not null, "message" text not null, "status" text not null, "exit_code" integer, "error" text, "created_at" bigint not null, "started_at" bigint, "ended_at" bigint, "task_execution_uuid" text, "holder" text, "lease_expires_at" bigint, constraint "actor_executions_position" unique ("group_id", "actor_id", "position"), constraint "actor_executions_actor" foreign key ("group_id", "actor_id") references "actors" ("group_id", "id") on delete cascade);

CREATE TABLE "actors" ("uuid" text primary key, "group_id" text not null references "groups" ("id") on delete cascade, "id" text not null, "owner" text not null, "image" text not null, "command" text, "default_environment" text not null, "description" text, "max_workers" integer not null, "created_at" bigint not null, "updated_at" bigint not null, constraint "actors_group_id" unique ("group_id", "id"));

CREATE TABLE "apps" ("uuid" text not null unique, "group_id" text not null references "groups" ("id") on delete cascade, "id" text not null, "version" text not null, "owner" text not null, "description" text, "definition" text not null, "created_at" bigint not null, "used_at" bigint, constraint "apps_pk" primary key ("group_id", "id", "version"));

CREATE TABLE "archives" ("uuid" text not null unique, "group_id" text not null references "groups" ("id") on delete cascade, "id" text not null, "type" text not null, "owner" text not null, "settings" text not null, "created_at" bigint not null, constraint "archives_pk" primary key ("group_id", "id"));

CREATE TABLE "cache_entries" ("key" text primary key, "group_id" text not null, "pipeline_id" text not null, "task_id" text not null, "execution_uuid" text not null, "run_uuid" text not null, "image_digest" text, "outputs" text not null, "files" text not null, "exit_code" integer, "size_bytes" bigint not null, "created_at" bigint not null, "last_used_at" bigint not null);

CREATE TABLE "cache_entry_objects" ("entry_key" text not null references "cache_entries" ("key") on delete cascade, "digest" text not null, constraint "cache_entry_objects_pk" primary key ("entry_key", "digest"));

CREATE TABLE "group_members" ("uuid" text primary key, "group_id" text not null references "groups" ("id") on delete cascade, "username" text not null, "role" text not null, constraint "group_members_group_user" unique ("group_id", "username"));

CREATE TABLE "group_secrets" ("group_id" text not null references "groups" ("id") on delete cascade, "name" text not null, "sealed_value" text not null, "created_at" bigint not null, "updated_at" bigint not null, "allowed_pipelines" text default '["*"]' not null, constraint "group_secrets_pk" primary key ("group_id", "name"));

CREATE TABLE "groups" ("id" text primary key, "uuid" text not null unique, "owner" text not null, "created_at" bigint not null, "max_parallel_tasks" integer);

CREATE TABLE "identities" ("uuid" text primary key, "owner" text not null, "type" text not null, "name" text not null, "description" text, "host" text, "sealed_credentials" text not null, "created_at" bigint not null);

CREATE TABLE "image_names" ("group_id" text not null, "name" text not null, "digest" text not null, "recorded_at" bigint not null, constraint "image_names_pk" primary key ("group_id", "name", "digest"));

CREATE TABLE "image_shares" ("group_id" text not null, "digest" text not null, "shared_with" text not null references "groups" ("id") on delete cascade, "shared_by" text not null, "created_at" bigint not null, constraint "image_shares_pk" primary key ("group_id", "digest", "shared_with"), constraint "image_shares_image" foreign key ("group_id", "digest") references "images" ("group_id", "digest") on delete cascade);

CREATE TABLE "images" ("group_id" text not null, "digest" text not null, "origin" text not null, "created_at" bigint not null, "recorded_at" bigint not null, "architecture" text, "os" text, "size_bytes" bigint, "builder" text, "engine" text, "recipe" text, "git_url" text, "git_commit" text, "run_uuid" text, "task_id" text, "bad_reason" text, "marked_bad_at" bigint, "marked_bad_by" text, "owned" integer default 0 not null, constraint "images_pk" primary key ("group_id", "digest"));

CREATE TABLE "kabuto_jobs" ("uuid" text primary key, "group_id" text not null, "pipeline_id" text not null, "position" integer not null, "command" text not null, "image_digest" text not null, "has_attachments" integer not null, "created_at" bigint not null, "run_uuid" text, constraint "kabuto_jobs_position" unique ("group_id", "pipeline_id", "position"), constraint "kabuto_jobs_pipeline" foreign key ("group_id", "pipeline_id") references "pipelines" ("group_id", "id") on delete cascade);

CREATE TABLE "log_lines" ("id" integer primary key autoincrement, "execution_uuid" text not null references "task_executions" ("uuid") on delete cascade, "stream" text not null, "ts" bigint not null, "line" text not null);

CREATE TABLE "pipelines" ("uuid" text not null unique, "group_id" text not null references "groups" ("id") on delete cascade, "id" text not null, "owner" text not null, "definition" text not null, "created_at" bigint not null, "updated_at" bigint not null, "updated_by" text, constraint "pipelines_pk" primary key ("group_id", "id"));

CREATE TABLE "revoked_tokens" ("jti" text primary key, "expires_at" bigint not null);

CREATE TABLE "run_admission_locks" ("group_id" text not null, "pipeline_id" text not null, "locked_at" bigint not null, constraint "run_admission_locks_pk" primary key ("group_id", "pipeline_id"));

CREATE TABLE "run_archives" ("run_uuid" text not null references "runs" ("uuid") on delete cascade, "archive_id" text not null, "status" text not null, "attempts" integer not null, "message" text, "location" text, "updated_at" bigint not null, constraint "run_archives_pk" primary key ("run_uuid", "archive_id"));

CREATE TABLE "run_claims" ("run_uuid" text primary key references "runs" ("uuid") on delete cascade, "worker_id" text not null, "lease_until" bigint not null);

CREATE TABLE "run_supersessions" ("old_run_uuid" text not null references "runs" ("uuid") on delete cascade, "new_run_uuid" text not null references "runs" ("uuid") on delete cascade, "image_digest" text not null, "reason" text not null, "created_at" bigint not null, constraint "run_supersessions_pk" primary key ("old_run_uuid", "new_run_uuid"));

CREATE TABLE "runs" ("uuid" text primary key, "pipeline_id" text not null, "group_id" text not null, "status" text not null, "pipeline" text not null, "params" text not null, "directives" text not null, "created_at" bigint not null, "started_at" bigint, "ended_at" bigint, "message" text, "started_by" text, "defined_by" text, "trigger" text, "retry_of" text);

CREATE TABLE "schedules" ("uuid" text primary key, "pipeline_uuid" text not null references "pipelines" ("uuid") on delete cascade, "group_id" text not null, "pipeline_id" text not null, "cron" text not null, "timezone" text not null, "params" text not null, "enabled" integer not null, "catch_up" integer not null, "created_by" text not null, "created_at" bigint not null, "updated_at" bigint not null, "next_run_at" bigint, "last_fired_at" bigint, "last_run_uuid" text, "last_outcome" text);

CREATE TABLE "systems" ("uuid" text not null unique, "group_id" text not null references "groups" ("id") on delete cascade, "id" text not null, "type" text not null, "owner" text not null, "description" text, "settings" text not null, "created_at" bigint not null, constraint "systems_pk" primary key ("group_id", "id"));

CREATE TABLE "task_executions" ("uuid" text primary key, "run_uuid" text not null references "runs" ("uuid") on delete cascade, "task_id" text not null, "attempt" integer not null, "status" text not null, "created_at" bigint not null, "not_before" bigint, "started_at" bigint, "ended_at" bigint, "exit_code" integer, "message" text, "outputs" text not null, "runtime_handle" text, "used_cpu_us" bigint, "peak_memory_bytes" bigint, "read_bytes" bigint, "written_bytes" bigint, "image_digest" text, "sealed_outputs" text, "reused_from" text, "worker" text, "cached_from" text, constraint "task_executions_run_task_attempt" unique ("run_uuid", "task_id", "attempt"));

CREATE TABLE "users" ("login" text primary key, "email" text not null, "password_hash" text not null, "confirmed" integer not null, "confirmation_code" text, "is_admin" integer not null, "created_at" bigint not null, "login_key" text, "email_key" text);

CREATE TABLE "webhook_deliveries" ("id" integer primary key autoincrement, "webhook_uuid" text not null references "webhooks" ("uuid") on delete cascade, "received_at" bigint not null, "delivery_id" text, "event" text, "status" integer not null, "reason" text not null, "run_uuid" text, "accepted_delivery_id" text);

CREATE TABLE "webhooks" ("uuid" text primary key, "pipeline_uuid" text not null references "pipelines" ("uuid") on delete cascade, "group_id" text not null, "pipeline_id" text not null, "type" text not null, "sealed_secret" text not null, "branches" text not null, "events" text not null, "created_by" text not null, "created_at" bigint not null);

CREATE TABLE "workers" ("id" text primary key, "role" text not null, "slots_total" integer not null, "slots_used" integer not null, "started_at" bigint not null, "heartbeat_at" bigint not null);

CREATE INDEX "actor_executions_status" on "actor_executions" ("status", "position");

CREATE INDEX "actor_executions_task" on "actor_executions" ("task_execution_uuid");

CREATE INDEX "cache_entries_image" on "cache_entries" ("group_id", "image_digest");

CREATE INDEX "cache_entries_last_used" on "cache_entries" ("last_used_at");

CREATE INDEX "cache_entry_objects_digest" on "cache_entry_objects" ("digest");

CREATE INDEX "group_members_username" on "group_members" ("username");

CREATE INDEX "identities_owner" on "identities" ("owner");

CREATE INDEX "image_names_digest" on "image_names" ("group_id", "digest");

CREATE INDEX "image_shares_with" on "image_shares" ("shared_with", "digest");

CREATE INDEX "images_digest_owned" on "images" ("digest", "owned");

CREATE INDEX "images_git_commit" on "images" ("group_id", "git_commit");

CREATE INDEX "log_lines_execution_id" on "log_lines" ("execution_uuid", "id");

CREATE INDEX "run_archives_status" on "run_archives" ("status");

CREATE INDEX "run_claims_worker" on "run_claims" ("worker_id");

CREATE INDEX "run_supersessions_new" on "run_supersessions" ("new_run_uuid");

CREATE INDEX "runs_group_pipeline_created" on "runs" ("group_id", "pipeline_id", "created_at");

CREATE INDEX "runs_group_pipeline_status" on "runs" ("group_id", "pipeline_id", "status", "created_at");

CREATE INDEX "runs_status" on "runs" ("status");

CREATE INDEX "schedules_due" on "schedules" ("enabled", "next_run_at");

CREATE INDEX "schedules_pipeline" on "schedules" ("group_id", "pipeline_id");

CREATE INDEX "task_executions_image_digest" on "task_executions" ("image_digest");

CREATE UNIQUE INDEX "task_executions_one_live_attempt" on "task_executions" ("run_uuid", "task_id") where "status" = 'running';

CREATE UNIQUE INDEX "users_email_key" on "users" ("email_key");

CREATE UNIQUE INDEX "users_login_key" on "users" ("login_key");

CREATE UNIQUE INDEX "webhook_deliveries_accepted" on "webhook_deliveries" ("webhook_uuid", "accepted_delivery_id");

CREATE INDEX "webhook_deliveries_recent" on "webhook_deliveries" ("webhook_uuid", "id");

CREATE INDEX "webhooks_pipeline" on "webhooks" ("group_id", "pipeline_id");
