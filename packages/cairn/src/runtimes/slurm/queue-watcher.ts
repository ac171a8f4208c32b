import type { SlurmShell } from "./slurm-shell.js";

/** A job as squeue lists it; `undefined` from `poll` when squeue no longer lists it. */
export interface QueueEntry {
  state: string;
  reason: string | null;
}

/** Polls that fall due within this long of each other share one squeue. */
const COALESCE_MS = 150;

interface Waiter {
  jobId: string;
  dueAt: number;
  resolve(entry: QueueEntry | undefined): void;
  reject(err: unknown): void;
}

/**
 * One squeue for every job of one Slurm system that is due to be polled, instead of one
 * per job: with 50 jobs followed at once, a command per job and poll kept the machine and
 * slurmctld busy (bench slurm-50-jobs). Each job still chooses when it is next polled
 * (its own back-off); polls due within COALESCE_MS of the first are answered together.
 * The watcher opens its own shell on first use and closes it when no job waits.
 */
export class QueueWatcher {
  #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  #shell: Promise<SlurmShell> | undefined;
  #running = false;

  constructor(private readonly connect: () => Promise<SlurmShell>) {}

  /** Slurm's state of the job once `delayMs` has passed (squeue's, so never an exit code). */
  poll(jobId: string, delayMs: number): Promise<QueueEntry | undefined> {
    return new Promise((resolve, reject) => {
      this.#waiters.push({ jobId, dueAt: Date.now() + delayMs, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#running || this.#waiters.length === 0) return;
    const first = Math.min(...this.#waiters.map((w) => w.dueAt));
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#flush(), Math.max(0, first - Date.now()));
  }

  async #flush(): Promise<void> {
    this.#running = true;
    const now = Date.now();
    const due = this.#waiters.filter((w) => w.dueAt <= now + COALESCE_MS);
    this.#waiters = this.#waiters.filter((w) => !due.includes(w));
    try {
      const ids = [...new Set(due.map((w) => w.jobId))];
      const listed = await this.#query(ids);
      for (const w of due) w.resolve(listed.get(w.jobId));
    } catch (err) {
      for (const w of due) w.reject(err);
      // A broken connection is opened again on the next poll.
      const shell = this.#shell;
      this.#shell = undefined;
      void shell?.then((s) => s.close()).catch(() => {});
    } finally {
      this.#running = false;
    }
    if (this.#waiters.length > 0) this.#schedule();
    else await this.#closeShell();
  }

  async #query(ids: string[]): Promise<Map<string, QueueEntry>> {
    this.#shell ??= this.connect();
    const shell = await this.#shell;
    const result = await shell.exec(["squeue", "-h", "-t", "all", "-j", ids.join(","), "-o", "%i|%T|%r"]);
    const listed = new Map<string, QueueEntry>();
    // squeue refuses the whole list when every id in it is unknown: then none is listed.
    if (result.code !== 0 && !/Invalid job id/i.test(result.stderr)) {
      throw new Error(`squeue on ${shell.where} failed (exit ${result.code}): ${result.stderr.trim().split("\n")[0] ?? ""}`);
    }
    for (const line of result.stdout.split("\n")) {
      const [id, state, reason] = line.trim().split("|");
      if (id && state) listed.set(id, { state, reason: !reason || reason === "None" ? null : reason });
    }
    return listed;
  }

  async #closeShell(): Promise<void> {
    const shell = this.#shell;
    this.#shell = undefined;
    await shell?.then((s) => s.close()).catch(() => {});
  }
}
