import type { Run } from "../client/cairn-client.js";
import { resolveAttachments } from "./attachments.js";
import { postEventWithAttachments } from "./event-upload.js";
import type { ClientConfig } from "../config.js";
import { parseParams, type PipelineRef } from "./arguments.js";
import type { CommandIo } from "./command-io.js";
import { EXIT } from "./exit-codes.js";
import { followRun, runView, type FollowSource } from "./run-follower.js";
import { summarizeRun } from "./run-reporter.js";
import { connect } from "./server-connection.js";


/**
 * `cairn run GROUP/PIPELINE`: starts a run through the pipeline's events endpoint. With
 * `--follow`, shows it live and exits with 0 if it succeeded, 1 if not.
 */
export async function remoteRunCommand(
  ref: PipelineRef,
  options: { param: string[]; directive: string[]; attach?: string[]; follow?: boolean },
  config: ClientConfig,
  io: CommandIo,
): Promise<number> {
  const params = parseParams(options.param);
  // The server checks task ids; the names and files are checked here, before anything is sent.
  const sources = await resolveAttachments(options.attach ?? []);
  const { client, server, token } = await connect(config);
  const run =
    sources.length > 0
      ? await postEventWithAttachments(server, token, ref, { params, directives: options.directive }, sources)
      : await client.startRun(ref.groupId, ref.pipelineId, { params, directives: options.directive, trigger: "cli" });
  if (!options.follow) {
    io.out.write(io.json ? JSON.stringify(run) + "\n" : `run ${run.uuid} of ${ref.groupId}/${ref.pipelineId} started; \`cairn logs ${run.uuid} --follow\` follows it\n`);
    return EXIT.ok;
  }
  if (!io.json) io.out.write(`run ${run.uuid} of ${ref.groupId}/${ref.pipelineId} started\n`);
  return followUntilEnd(client, run, io);
}

/**
 * Follows a run to its end and prints its outcome; the exit code says whether it
 * succeeded. Ctrl-C stops following only: the run goes on on the server.
 */
export async function followUntilEnd(client: FollowSource & { local?: boolean }, run: Run, io: CommandIo, options: { taskId?: string } = {}): Promise<number> {
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once("SIGINT", onSigint);
  try {
    const final = await followRun(client, run, io.out, { json: io.json, taskId: options.taskId, signal: stop.signal });
    io.out.write(io.json ? JSON.stringify({ event: "run", ...final }) + "\n" : summarizeRun(runView(final)) + "\n");
    return final.status === "succeeded" ? EXIT.ok : EXIT.runFailed;
  } catch (err) {
    if (!stop.signal.aborted) throw err;
    const where = client.local ? "in the `cairn` process running it" : "on the server";
    io.err.write(`stopped following run ${run.uuid}; it goes on ${where} (\`cairn cancel ${run.uuid}\` stops it)\n`);
    return EXIT.interrupted;
  } finally {
    process.off("SIGINT", onSigint);
  }
}
