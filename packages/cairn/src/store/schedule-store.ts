/**
 * Cron schedules of pipelines (issue 17). Operations only, like Store. A fire is claimed
 * by moving `nextRunAt` on from the value read (compare-and-set), so among several
 * processes on one database exactly one fires it.
 */

export interface ScheduleRecord {
  uuid: string;
  pipelineUuid: string;
  groupId: string;
  pipelineId: string;
  /** 5 fields, or 6 with seconds first. */
  cron: string;
  /** IANA time zone name. */
  timezone: string;
  params: Record<string, string>;
  enabled: boolean;
  /** After a time with no Cairn process, fire the most recent missed time once. */
  catchUp: boolean;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  /** The next fire, ms; null when disabled or the expression has no future time. */
  nextRunAt: number | null;
  lastFiredAt: number | null;
  lastRunUuid: string | null;
  /** What the last fire came to: "started", or why no run started. */
  lastOutcome: string | null;
}

export type SchedulePatch = Partial<Pick<ScheduleRecord, "cron" | "timezone" | "params" | "enabled" | "catchUp" | "nextRunAt" | "updatedAt">>;

export interface ScheduleStore {
  createSchedule(schedule: ScheduleRecord): Promise<void>;
  getSchedule(uuid: string): Promise<ScheduleRecord | undefined>;
  listSchedules(groupId: string, pipelineId: string): Promise<ScheduleRecord[]>;
  /** `not_found` when the pipeline has no such schedule. */
  updateSchedule(groupId: string, pipelineId: string, uuid: string, patch: SchedulePatch): Promise<void>;
  deleteSchedule(groupId: string, pipelineId: string, uuid: string): Promise<void>;
  /** Enabled schedules whose next fire is at or before `now`, soonest first. */
  listDueSchedules(now: number, limit?: number): Promise<ScheduleRecord[]>;
  /** The soonest next fire of any enabled schedule; undefined when none. */
  nextDueTime(): Promise<number | undefined>;
  /**
   * Claims the fire at `due`: moves `nextRunAt` from `due` to `next` if no one did first.
   * True for the one caller that moved it.
   */
  claimFire(uuid: string, due: number, next: number | null): Promise<boolean>;
  /** Records what the fire claimed at `firedAt` came to. */
  recordFire(uuid: string, fire: { firedAt: number; runUuid: string | null; outcome: string }): Promise<void>;
}
