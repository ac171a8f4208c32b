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
}

export interface LogLinesTable {
  id: Generated<number>;
  execution_uuid: string;
  stream: string;
  ts: number;
  line: string;
}

export interface Database {
  runs: RunsTable;
  task_executions: TaskExecutionsTable;
  log_lines: LogLinesTable;
}
