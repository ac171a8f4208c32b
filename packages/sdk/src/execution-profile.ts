import type { DuplicateSubmissionPolicy, ExecutionProfileSpec, InvocationMode, PipelineExecutionProfileSpec, PullPolicy, RetryPolicy, RuntimeKind } from "cairn/spec";

/** The execution profile with the builders' camelCase names; see ExecutionProfileSpec for each field. */
export interface ExecutionProfileOptions {
  maxRetries?: number;
  retryPolicy?: RetryPolicy;
  /** Seconds before the first retry. */
  retryDelay?: number;
  /** Seconds before an attempt is killed. */
  maxExecTime?: number;
  invocationMode?: InvocationMode;
  duplicateSubmissionPolicy?: DuplicateSubmissionPolicy;
  runtime?: RuntimeKind;
  /** When a container_run or function task's image is pulled: `if_not_present` (default), `always`, `never`. */
  pullPolicy?: PullPolicy;
  /** Reuse the task's outputs and results when its definition, inputs and image have not changed (docs/task-cache.md). */
  cache?: boolean;
  /** Seconds a cache entry may be reused after it was made. */
  cacheTtl?: number;
}

/** A pipeline's profile: the task fields, plus those about its runs (see PipelineExecutionProfileSpec). */
export interface PipelineExecutionProfileOptions extends ExecutionProfileOptions {
  /** Runs of the pipeline running at once; the ones past it wait `pending`, first in first out. */
  maxConcurrentRuns?: number;
  /** Seconds a run may wait `pending` before it is cancelled. */
  pendingTimeout?: number;
}

const SPEC_NAMES = {
  maxRetries: "max_retries",
  retryPolicy: "retry_policy",
  retryDelay: "retry_delay",
  maxExecTime: "max_exec_time",
  invocationMode: "invocation_mode",
  duplicateSubmissionPolicy: "duplicate_submission_policy",
  runtime: "runtime",
  pullPolicy: "pull_policy",
  cache: "cache",
  cacheTtl: "cache_ttl",
  maxConcurrentRuns: "max_concurrent_runs",
  pendingTimeout: "pending_timeout",
} as const satisfies Record<keyof PipelineExecutionProfileOptions, keyof PipelineExecutionProfileSpec>;

/** Adds the given options to a profile; options left undefined keep what was there. */
export function mergeExecutionProfile(profile: ExecutionProfileSpec | undefined, options: ExecutionProfileOptions): ExecutionProfileSpec {
  const merged: Record<string, unknown> = { ...profile };
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    // Unknown names are passed through so the validator reports them instead of the SDK dropping them.
    merged[Object.hasOwn(SPEC_NAMES, name) ? SPEC_NAMES[name as keyof PipelineExecutionProfileOptions] : name] = value;
  }
  return merged as ExecutionProfileSpec;
}
