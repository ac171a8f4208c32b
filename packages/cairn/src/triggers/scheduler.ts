import { setTimeout as sleep } from "node:timers/promises";
import type { ScheduleRecord } from "../store/schedule-store.js";
import type { Store } from "../store/store.js";
import { latestFireTime, nextFireTime } from "./cron-times.js";
import { startTriggeredRun, type TriggeredRunDeps } from "./triggered-run.js";

/**
 * Fires pipelines' cron schedules (issue 17). Each pass reads the schedules that are due,
 * claims each fire by moving its `next_run_at` on from the value read (the database
 * decides, so of several processes on one PostgreSQL exactly one fires it, and a restart
 * does not fire it again), then starts the run as the schedule's creator, who must still
 * be allowed to: a refusal is recorded on the schedule instead.
 *
 * A fire more than `missedAfterMs` late was missed while no Cairn process ran: it is
 * skipped, unless the schedule has `catch_up`, when the most recent missed time fires once.
 */

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
};

export interface SchedulerOptions extends TriggeredRunDeps {
  store: Pick<Store, "service" | "schedules">;
  clock?: Clock;
  /** The longest wait between passes, so schedules made by other processes are seen; 1 s. */
  pollMs?: number;
  /** A fire later than this was missed while no process ran; 30 s. */
  missedAfterMs?: number;
  warn?: (message: string) => void;
}

/** What one pass did, for tests and logs. */
export interface FireOutcome {
  scheduleUuid: string;
  /** The cron time the fire stands for; null when a missed fire was skipped. */
  fireTime: number | null;
  runUuid: string | null;
  outcome: string;
}

export class Scheduler {
  readonly #options: Required<Omit<SchedulerOptions, "warn">> & Pick<SchedulerOptions, "warn">;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(options: SchedulerOptions) {
    this.#options = { clock: systemClock, pollMs: 1_000, missedAfterMs: 30_000, ...options };
  }

  /** Starts the loop of passes. */
  start(): this {
    this.#loop ??= this.#run();
    return this;
  }

  /** Ends the loop once its pass is done. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  /** One pass: fires every schedule due now. */
  async tick(): Promise<FireOutcome[]> {
    const now = this.#options.clock.now();
    const outcomes: FireOutcome[] = [];
    for (const schedule of await this.#options.store.schedules.listDueSchedules(now)) {
      const outcome = await this.#fire(schedule, now).catch((err: unknown) => {
        this.#options.warn?.(`schedule ${schedule.uuid}: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      });
      if (outcome) outcomes.push(outcome);
    }
    return outcomes;
  }

  async #run(): Promise<void> {
    const { clock, pollMs, store } = this.#options;
    while (!this.#stop.signal.aborted) {
      try {
        await this.tick();
      } catch (err) {
        this.#options.warn?.(`the scheduler's pass failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (this.#stop.signal.aborted) break;
      // Unknown (the database did not answer): wait the poll interval; the next pass reports a lasting failure.
      const next = await store.schedules.nextDueTime().catch(() => undefined);
      const wait = next === undefined ? pollMs : Math.min(pollMs, Math.max(0, next - clock.now()));
      await clock.sleep(wait, this.#stop.signal);
    }
  }

  async #fire(schedule: ScheduleRecord, now: number): Promise<FireOutcome | undefined> {
    const due = schedule.nextRunAt!;
    const spec = { cron: schedule.cron, timezone: schedule.timezone };
    const missed = now - due > this.#options.missedAfterMs;
    const fireTime = !missed ? due : schedule.catchUp ? (latestFireTime(spec, now) ?? due) : null;
    const next = nextFireTime(spec, Math.max(now, due));
    const { schedules } = this.#options.store;
    // Another process (or an earlier pass of this one) fired it first: nothing to do.
    if (!(await schedules.claimFire(schedule.uuid, due, next))) return undefined;
    if (fireTime === null) {
      const outcome = `skipped: the fire at ${new Date(due).toISOString()} and any after it until now were missed while no Cairn process ran (catch_up is off)`;
      await schedules.recordFire(schedule.uuid, { firedAt: now, runUuid: null, outcome });
      return { scheduleUuid: schedule.uuid, fireTime, runUuid: null, outcome };
    }
    try {
      const run = await startTriggeredRun(this.#options, {
        groupId: schedule.groupId,
        pipelineId: schedule.pipelineId,
        login: schedule.createdBy,
        params: schedule.params,
        trigger: "schedule",
      });
      const outcome = `started run ${run.uuid} for ${new Date(fireTime).toISOString()}`;
      await schedules.recordFire(schedule.uuid, { firedAt: now, runUuid: run.uuid, outcome });
      return { scheduleUuid: schedule.uuid, fireTime, runUuid: run.uuid, outcome };
    } catch (err) {
      const outcome = `refused: ${err instanceof Error ? err.message : String(err)}`;
      await schedules.recordFire(schedule.uuid, { firedAt: now, runUuid: null, outcome });
      return { scheduleUuid: schedule.uuid, fireTime, runUuid: null, outcome };
    }
  }
}
