import type { RunId } from "../ids.js";
import { CANCEL_REQUESTED } from "../store/cancel-request.js";
import type { Store } from "../store/store.js";

/** How often the store is asked; a cancel from another terminal takes effect within about this long. */
export const CANCEL_WATCH_INTERVAL_MS = 1_000;

/**
 * Cancels the runs another process asked to cancel by writing CANCEL_REQUESTED on them
 * (`cairn cancel RUN` of a local run while `cairn run` runs it). One small query a second
 * (the unfinished runs); `cancel` is idempotent and ignores runs it does not hold, so a
 * run already being cancelled, or held by another worker, costs nothing more.
 * Returns the function that stops watching.
 */
export function watchCancelRequests(store: Pick<Store, "listUnfinishedRuns">, cancel: (uuid: RunId) => Promise<void>, intervalMs = CANCEL_WATCH_INTERVAL_MS): () => void {
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    void (async () => {
      try {
        for (const run of await store.listUnfinishedRuns()) if (run.message === CANCEL_REQUESTED) await cancel(run.uuid);
      } catch (err) {
        // The next tick asks again; a closed store at shutdown lands here too.
        process.emitWarning(`looking for cancel requests: ${String(err)}`, "CairnCancelWatch");
      } finally {
        checking = false;
      }
    })();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
