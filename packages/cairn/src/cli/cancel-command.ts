import type { CommandIo } from "./command-io.js";
import { openRunSource, type RunSourceOptions } from "./choose-run-source.js";

/** `cairn cancel RUN`: running tasks are stopped and nothing new starts; a local run's as a server's. */
export async function cancelCommand(runText: string, where: RunSourceOptions, io: CommandIo): Promise<number> {
  const { source, run: found } = await openRunSource(where, runText);
  try {
    const { run, message } = await source.cancelRun(found!);
    io.out.write(io.json ? JSON.stringify({ message, run }) + "\n" : `run ${run.uuid}: ${message}${message.includes(run.status) ? "" : ` (now ${run.status})`}\n`);
    return 0;
  } finally {
    await source.close();
  }
}
