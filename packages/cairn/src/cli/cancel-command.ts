import type { ClientConfig } from "../config.js";
import { parseRunUuid } from "./arguments.js";
import type { CommandIo } from "./command-io.js";
import { connect } from "./server-connection.js";

/** `cairn cancel RUN`: running tasks are stopped and nothing new starts. */
export async function cancelCommand(runText: string, config: ClientConfig, io: CommandIo): Promise<number> {
  const uuid = parseRunUuid(runText);
  const { client } = await connect(config);
  const { run, message } = await client.cancelRun(await client.findRun(uuid));
  io.out.write(io.json ? JSON.stringify({ message, run }) + "\n" : `run ${run.uuid}: ${message}${message.includes(run.status) ? "" : ` (now ${run.status})`}\n`);
  return 0;
}
