import { ApiError } from "../client/api-error.js";
import type { Pipeline } from "../client/cairn-client.js";
import type { ClientConfig } from "../config.js";
import { parseGroupId } from "./arguments.js";
import type { CommandIo } from "./command-io.js";
import { loadPipelineSource } from "./pipeline-source.js";
import { connect } from "./server-connection.js";

/**
 * `cairn apply FILE --group G`: makes the group's pipeline what the file says, creating
 * it or replacing the definition of the one with the same id.
 */
export async function applyCommand(file: string, options: { group: string }, config: ClientConfig, io: CommandIo): Promise<number> {
  const groupId = parseGroupId(options.group);
  const definition = await loadPipelineSource(file);
  const { client, server } = await connect(config);
  const body = definition as unknown as Record<string, unknown>;
  let action: "created" | "replaced";
  let pipeline: Pipeline;
  try {
    pipeline = await client.replacePipeline(groupId, definition.id, body);
    action = "replaced";
  } catch (err) {
    // Not there yet (or no such group: then creating says so).
    if (!(err instanceof ApiError && err.status === 404)) throw err;
    pipeline = await client.createPipeline(groupId, body);
    action = "created";
  }
  io.out.write(
    io.json
      ? JSON.stringify({ action, pipeline }) + "\n"
      : `${action} pipeline '${pipeline.id}' in group '${groupId}' on ${server} (${pipeline.tasks.length} task${pipeline.tasks.length === 1 ? "" : "s"})\n`,
  );
  return 0;
}
