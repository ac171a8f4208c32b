import { Cron } from "croner";

/**
 * Cron expressions through croner (a maintained library): 5 fields, or 6 with seconds
 * first, read in an IANA time zone. Each function answers the problem in words, or the
 * times; nothing here keeps a timer.
 */

export interface CronSpec {
  cron: string;
  timezone: string;
}

/** Why the expression cannot be used, or undefined when it can. */
export function cronProblem(cron: string): string | undefined {
  try {
    new Cron(cron, { paused: true, mode: "5-or-6-parts" });
    return undefined;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).replace(/^CronPattern: /, "");
  }
}

/** Why the time zone is unknown, or undefined when it is a zone this Node knows. */
export function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en", { timeZone: timezone });
    return undefined;
  } catch {
    return `'${timezone}' is not an IANA time zone name (such as UTC or Europe/Paris)`;
  }
}

/** The next `count` fire times strictly after `after` (ms), soonest first; fewer when the expression ends. */
export function nextFireTimes(spec: CronSpec, after: number, count: number): number[] {
  return cronOf(spec)
    .nextRuns(count, new Date(after))
    .map((d) => d.getTime());
}

/** The next fire strictly after `after`, or null when there is none. */
export function nextFireTime(spec: CronSpec, after: number): number | null {
  return cronOf(spec).nextRun(new Date(after))?.getTime() ?? null;
}

/** The latest fire time at or before `at`, or null when there is none. */
export function latestFireTime(spec: CronSpec, at: number): number | null {
  // previousRuns looks strictly before its reference; a fire exactly at `at` counts too.
  return cronOf(spec).previousRuns(1, new Date(at + 1))[0]?.getTime() ?? null;
}

function cronOf({ cron, timezone }: CronSpec): Cron {
  return new Cron(cron, { paused: true, mode: "5-or-6-parts", timezone });
}
