CREATE TABLE "log_lines" ("id" integer primary key autoincrement, "execution_uuid" text not null references "task_executions" ("uuid") on delete cascade, "stream" text not null, "ts" bigint not null, "line" text not null);

CREATE TABLE "runs" ("uuid" text primary key, "pipeline_id" text not null, "group_id" text not null, "status" text not null, "pipeline" text not null, "params" text not null, "directives" text not null, "created_at" bigint not null, "started_at" bigint, "ended_at" bigint, "message" text);

CREATE TABLE "task_executions" ("uuid" text primary key, "run_uuid" text not null references "runs" ("uuid") on delete cascade, "task_id" text not null, "attempt" integer not null, "status" text not null, "created_at" bigint not null, "not_before" bigint, "started_at" bigint, "ended_at" bigint, "exit_code" integer, "message" text, "outputs" text not null, "runtime_handle" text, constraint "task_executions_run_task_attempt" unique ("run_uuid", "task_id", "attempt"));

CREATE INDEX "log_lines_execution_id" on "log_lines" ("execution_uuid", "id");

CREATE INDEX "runs_group_pipeline_created" on "runs" ("group_id", "pipeline_id", "created_at");

CREATE INDEX "runs_status" on "runs" ("status");
