import type { DuplicateSubmissionPolicy, ExecutionProfileSpec, InvocationMode, PullPolicy, RetryPolicy, RuntimeKind } from "cairn/spec";

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
} as const satisfies Record<keyof ExecutionProfileOptions, keyof ExecutionProfileSpec>;

/** Adds the given options to a profile; options left undefined keep what was there. */
export function mergeExecutionProfile(profile: ExecutionProfileSpec | undefined, options: ExecutionProfileOptions): ExecutionProfileSpec {
  const merged: Record<string, unknown> = { ...profile };
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    // Unknown names are passed through so the validator reports them instead of the SDK dropping them.
    merged[Object.hasOwn(SPEC_NAMES, name) ? SPEC_NAMES[name as keyof ExecutionProfileOptions] : name] = value;
  }
  return merged as ExecutionProfileSpec;
}
