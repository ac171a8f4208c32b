import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { RunId } from "../ids.js";
import { TERMINAL_RUN_STATUSES, type Store } from "../store/store.js";
import { removeRunDir } from "../workspace/run-dir.js";
import { stagingRoot, stagingOwner } from "../workspace/run-inbox.js";

export interface WorkDirCleanerOptions {
  dataDir: string;
  /** How long after its end a run's folder is kept (CAIRN_WORK_DIR_GRACE). */
  graceMs: number;
  /** CAIRN_KEEP_WORK_DIRS: never delete. */
  keep: boolean;
  warn?: (message: string) => void;
}

/**
 * A folder under runs/ that no run owns is deleted only after this long: another process
 * sharing the database may have just made it, for a run it is about to record.
 */
const ORPHAN_AGE_MS = 60 * 60 * 1000;
/** setTimeout's longest wait (2^31-1 ms, about 24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Deletes ended runs' working folders (`runs/RUN`: inputs, outputs, attachments) once
 * their grace period has passed. Timers are only a shortcut: `sweep()` at start-up finds
 * what a stopped process left and deletes or schedules it, so a restart loses no
 * deletion. Logs and outputs stay in the database, results in DATA_DIR/results.
 */
export class WorkDirCleaner {
  private readonly options: WorkDirCleanerOptions;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(options: WorkDirCleanerOptions) {
    this.options = options;
  }

  /**
   * The run has ended and nothing else needs its folder: deletes it when its grace is
   * over. Resolves once it is deleted, or scheduled; never rejects.
   */
  async release(run: { uuid: RunId | string; endedAt: number | null }): Promise<void> {
    if (this.options.keep || this.closed) return;
    const dueIn = (run.endedAt ?? Date.now()) + this.options.graceMs - Date.now();
    if (dueIn <= 0) {
      await this.remove(run.uuid);
      return;
    }
    clearTimeout(this.timers.get(run.uuid));
    // Unref'd: a grace period must not keep a finished `cairn run` alive; the next start sweeps.
    // A longer grace than a timer can wait is waited in steps: release() looks again.
    const timer = setTimeout(() => void this.release(run), Math.min(dueIn, MAX_TIMER_MS)).unref();
    this.timers.set(run.uuid, timer);
  }

  /**
   * At start-up: releases the folders of ended runs (deleting those whose grace has
   * passed), except while an archiving still needs one, and removes abandoned uploads.
   */
  async sweep(store: Store): Promise<void> {
    await removeAbandonedUploads(this.options.dataDir);
    if (this.options.keep) return;
    const root = join(this.options.dataDir, "runs");
    let names: string[];
    try {
      names = await readdir(root);
    } catch {
      return;
    }
    if (names.length === 0) return;
    const archiving = new Set((await store.service.listPendingRunArchives()).map((a) => a.runUuid));
    for (const name of names) {
      if (archiving.has(name)) continue;
      const run = await store.getRun(name as RunId);
      if (run) {
        if (TERMINAL_RUN_STATUSES.includes(run.status)) await this.release(run);
        continue;
      }
      // Gone since it was listed (removed by its run's release): nothing to clean.
      const info = await stat(join(root, name)).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > ORPHAN_AGE_MS) await this.remove(name);
    }
  }

  /** Stops the timers; what they would have deleted, the next start's sweep deletes. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private async remove(runUuid: string): Promise<void> {
    this.timers.delete(runUuid);
    // Leftover files cost disk, not correctness: a failed removal must not take the process down.
    await removeRunDir(this.options.dataDir, runUuid).catch((err: unknown) => this.options.warn?.(`deleting the working folder of run ${runUuid}: ${String(err)}`));
  }
}

/** Uploads whose process is gone (a crash mid-upload); another process's uploads in progress are left alone. */
async function removeAbandonedUploads(dataDir: string): Promise<void> {
  const root = stagingRoot(dataDir);
  const names = await readdir(root).catch(() => [] as string[]);
  for (const name of names) {
    const pid = stagingOwner(name);
    if (pid !== undefined && pid !== process.pid && isAlive(pid)) continue;
    await rm(join(root, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, as another user's process.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
