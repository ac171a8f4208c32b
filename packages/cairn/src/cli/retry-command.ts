import type { Run } from "../client/cairn-client.js";
import type { CommandIo } from "./command-io.js";
import { openRunSource, type RunSourceOptions } from "./choose-run-source.js";
import { connect } from "./server-connection.js";

/**
 * `cairn retry RUN` and `cairn rerun RUN` on a server: a new run of the ended run, that
 * reuses its succeeded tasks (retry) or runs every task again (rerun). A local run is
 * retried or re-run on this machine, followed like `cairn run`: `startLocally` does that.
 */
export async function againCommand(
  kind: "retry" | "rerun",
  runText: string,
  where: RunSourceOptions,
  io: CommandIo,
  startLocally: (run: Run) => Promise<number>,
): Promise<number> {
  const { source, run: found } = await openRunSource(where, runText);
  await source.close();
  const original = found!;
  if (source.local) return startLocally(original);
  const { client } = await connect(where.client);
  const run = kind === "retry" ? await client.retryRun(original) : await client.rerunRun(original);
  const what = kind === "retry" ? `a retry of ${original.uuid}, reusing the tasks that succeeded there` : `a re-run of ${original.uuid}`;
  io.out.write(io.json ? JSON.stringify({ run }) + "\n" : `run ${run.uuid} started: ${what} (cairn logs ${run.uuid} --follow)\n`);
  return 0;
}

