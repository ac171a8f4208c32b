import { createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { pipeline } from "node:stream/promises";
import { CairnError, describeError } from "../errors.js";
import type { CommandIo } from "./command-io.js";
import { openRunSource, type RunSourceOptions } from "./choose-run-source.js";

/**
 * `cairn results RUN -o FILE`: the run's outputs, logs and results as a zip (`TASK/output/NAME`,
 * `TASK/output/.stdout`, `.stderr`, `TASK/outbox/PATH`). Written beside the target first and renamed, so
 * FILE is never half a zip. A local run's zip is made from the data dir, as a server makes its own.
 */
export async function resultsCommand(runText: string, options: { output?: string }, where: RunSourceOptions, io: CommandIo): Promise<number> {
  const { source, run } = await openRunSource(where, runText);
  try {
    return await writeResults(await source.results(run!), run!.uuid, options, io);
  } finally {
    await source.close();
  }
}

async function writeResults(body: ReadableStream<Uint8Array>, uuid: string, options: { output?: string }, io: CommandIo): Promise<number> {
  const target = options.output ?? `run-${uuid}.zip`;
  const partial = `${target}.part`;
  try {
    await pipeline(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), createWriteStream(partial, { flags: "wx" }));
    await rename(partial, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new CairnError("conflict", `${partial} exists: another download is writing it, or it was left behind; remove it`, { cause: err });
    await rm(partial, { force: true });
    // A file system error is about the target; anything else (the connection) keeps its own message.
    if (typeof code === "string" && code.startsWith("E")) throw new CairnError("invalid_input", `cannot write ${target}: ${describeError(err)}`, { cause: err });
    throw err;
  }
  const bytes = (await stat(target)).size;
  io.out.write(io.json ? JSON.stringify({ run: uuid, file: target, bytes }) + "\n" : `wrote ${target} (${bytes} bytes)\n`);
  return 0;
}
