import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type { CairnConfig } from "../config.js";
import { describeError, isRetryable } from "../errors.js";
import { removeRunDir } from "../workspace/attempt-files.js";
import type { RunId } from "../ids.js";
import type { Pipeline } from "../spec/types.js";
import type { RunArchiveRecord } from "../store/service-store.js";
import { maskedReadable } from "../secrets/masking-stream.js";
import { SecretMasker } from "../secrets/secret-masker.js";
import type { RunRecord, Store } from "../store/store.js";
import { archiveSystem } from "./archive-system.js";
import { ArchivingError, checkWritable } from "./archive-target.js";
import { runFiles } from "./run-files.js";
import type { SystemConnector } from "./system-connector.js";

export interface ArchiverOptions {
  store: Store;
  config: Pick<CairnConfig, "dataDir" | "keepWorkDirs">;
  systems: SystemConnector;
  /** Waits between tries; one more try than there are delays. */
  retryDelaysMs?: readonly number[];
  /** Where a failed try is reported (the server's log). */
  warn?: (message: string) => void;
  /** Takes a run's working folder once archiving is done with it (after the grace period, see WorkDirCleaner); default: deleted at once. */
  releaseWorkDir?: (run: RunRecord) => void | Promise<void>;
  /**
   * The values masked in every file copied (api/run-secret-values.ts): an archive is
   * shown to whoever reads the archive's folder, bucket or host. Default: none.
   */
  secretValues?: (run: RunRecord) => Promise<string[]>;
}

const DEFAULT_RETRY_DELAYS_MS = [1_000, 5_000];

/**
 * Copies each ended run's task outputs and logs to the archives its pipeline names, then
 * deletes the run's working folder. It works after the run is recorded and never
 * touches the run: its outcome is kept per archive (`run_archives`). An archiving cut
 * short by a stop stays `pending` with the folder kept, and `recover()` finishes it.
 */
export class Archiver {
  private readonly store: Store;
  private readonly config: ArchiverOptions["config"];
  private readonly systems: SystemConnector;
  private readonly delays: readonly number[];
  private readonly warn: (message: string) => void;
  private readonly releaseWorkDir: (run: RunRecord) => void | Promise<void>;
  private readonly secretValues: (run: RunRecord) => Promise<string[]>;
  private readonly inFlight = new Map<RunId, Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(options: ArchiverOptions) {
    this.store = options.store;
    this.config = options.config;
    this.systems = options.systems;
    this.delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.warn = options.warn ?? (() => {});
    this.releaseWorkDir = options.releaseWorkDir ?? (async (run) => (this.config.keepWorkDirs ? undefined : removeRunDir(this.config.dataDir, run.uuid)));
    this.secretValues = options.secretValues ?? (async () => []);
  }

  /** The engine's hand-over of an ended run and its working folder. Returns at once. */
  readonly takeRun = (run: RunRecord): void => {
    // A run that ends while the server stops keeps its folder; its archives are not made.
    if (this.stopping.signal.aborted) {
      this.warn(`run ${run.uuid} ended while the server stopped: it is not archived, and its working folder is kept`);
      return;
    }
    this.track(run.uuid, async () => {
      const ids = [...new Set((run.pipeline as Pipeline).archives ?? [])];
      const now = Date.now();
      // Recorded first, so a stop before the copy is done leaves something to recover.
      for (const archiveId of ids) await this.store.service.putRunArchive({ runUuid: run.uuid, archiveId, status: "pending", attempts: 0, message: null, location: null, updatedAt: now });
      await this.archive(run, ids.map((archiveId) => ({ archiveId, attempts: 0 })));
    });
  };

  /** Finishes archivings a stopped server left pending. */
  async recover(): Promise<void> {
    const byRun = new Map<string, RunArchiveRecord[]>();
    for (const r of await this.store.service.listPendingRunArchives()) byRun.set(r.runUuid, [...(byRun.get(r.runUuid) ?? []), r]);
    for (const [runUuid, pending] of byRun) {
      if (this.inFlight.has(runUuid as RunId)) continue;
      const run = await this.store.getRun(runUuid as RunId);
      if (run) this.track(run.uuid, () => this.archive(run, pending));
    }
  }

  /** Archivings in progress, for tests and for a clean stop. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Stops waiting between tries; what is unfinished stays pending for the next start. */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }

  private track(runUuid: RunId, work: () => Promise<void>): void {
    const done = work()
      .catch((err: unknown) => this.warn(`archiving run ${runUuid}: ${describeError(err)}`))
      .finally(() => this.inFlight.delete(runUuid));
    this.inFlight.set(runUuid, done);
  }

  private async archive(run: RunRecord, todo: { archiveId: string; attempts: number }[]): Promise<void> {
    let unfinished = false;
    for (const item of todo) unfinished = !(await this.archiveOne(run, item.archiveId, item.attempts)) || unfinished;
    // The folder is kept while an archiving may still need it.
    if (!unfinished) await this.releaseWorkDir(run);
  }

  /** Tries until done, a failure not worth retrying, or the tries run out; false when stopped first. */
  private async archiveOne(run: RunRecord, archiveId: string, attemptsBefore: number): Promise<boolean> {
    let attempts = attemptsBefore;
    for (;;) {
      if (this.stopping.signal.aborted) return false;
      attempts++;
      const record = (status: RunArchiveRecord["status"], message: string | null, location: string | null) =>
        this.store.service.putRunArchive({ runUuid: run.uuid, archiveId, status, attempts, message, location, updatedAt: Date.now() });
      try {
        const { location, count } = await this.copy(run, archiveId);
        await record("done", `${count} files written`, location);
        return true;
      } catch (err) {
        const message = describeError(err);
        const retryable = isRetryable(err);
        const delay = this.delays[attempts - 1];
        if (!retryable || delay === undefined) {
          await record("failed", message, null);
          return true;
        }
        this.warn(`archiving run ${run.uuid} to '${archiveId}' (try ${attempts}) failed, trying again in ${delay} ms: ${message}`);
        await record("pending", message, null);
        try {
          await sleep(delay, undefined, { signal: this.stopping.signal });
        } catch {
          return false;
        }
      }
    }
  }

  private async copy(run: RunRecord, archiveId: string): Promise<{ location: string; count: number }> {
    const archive = await this.store.service.getArchive(run.groupId, archiveId);
    if (!archive) throw new ArchivingError("not_found", `archive '${archiveId}' does not exist in group '${run.groupId}'`, { retryable: false });
    const { system, label } = await archiveSystem(this.store.service, archive);
    const target = await this.systems.open(system, archive.settings.archiveDir, label);
    try {
      // Checked before every archiving, as Tapis does.
      await checkWritable(target, run.uuid);
      const files = await runFiles(this.store, this.config.dataDir, run);
      const masker = new SecretMasker(await this.secretValues(run), "bytes");
      const folders = new Set(files.map((f) => f.path.slice(0, f.path.lastIndexOf("/"))));
      for (const folder of folders) await target.mkdir(folder);
      for (const file of files) {
        const content = await file.open();
        // Copies are masked like the results zip: logs and outputs again, result files and large outputs as they stream.
        await target.writeFile(file.path, content instanceof Readable ? maskedReadable(content, masker) : masker.maskBytes(content));
      }
      return { location: `${target.location}/${run.uuid}`, count: files.length };
    } finally {
      await target.close();
    }
  }
}
