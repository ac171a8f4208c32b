import type { ExecutionProfile } from "../spec/types.js";

/** Longest wait between attempts, whatever the policy says: a retry is not a schedule. */
export const MAX_RETRY_DELAY_MS = 10 * 60_000;

/**
 * Delay before attempt `nextAttempt` (2 for the first retry), or undefined when the
 * task has used its retries. `retriesUsed` counts attempts that failed on their own
 * (an attempt interrupted by a server restart does not spend a retry).
 */
export function retryDelayMs(profile: ExecutionProfile, retriesUsed: number): number | undefined {
  if (profile.retry_policy === "none" || retriesUsed >= profile.max_retries) return undefined;
  const base = profile.retry_delay * 1000;
  const delay = profile.retry_policy === "fixed" ? base : base * 2 ** retriesUsed;
  return Math.min(delay, MAX_RETRY_DELAY_MS);
}
