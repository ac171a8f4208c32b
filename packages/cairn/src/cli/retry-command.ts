import type { ClientConfig } from "../config.js";
import { parseRunUuid } from "./arguments.js";
import type { CommandIo } from "./command-io.js";
import { connect } from "./server-connection.js";

/** `cairn retry RUN`: a new run of the ended run that reuses its succeeded tasks and runs the others again. */
export async function retryCommand(runText: string, config: ClientConfig, io: CommandIo): Promise<number> {
  const uuid = parseRunUuid(runText);
  const { client } = await connect(config);
  const run = await client.retryRun(await client.findRun(uuid));
  io.out.write(io.json ? JSON.stringify({ run }) + "\n" : `run ${run.uuid} started: a retry of ${uuid}, reusing the tasks that succeeded there (cairn logs ${run.uuid} --follow)\n`);
  return 0;
}
