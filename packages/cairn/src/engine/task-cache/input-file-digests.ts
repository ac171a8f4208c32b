import { createHash } from "node:crypto";
import { basename, dirname } from "node:path";
import { listTaskFiles, openTaskFile } from "../../workspace/task-file-reader.js";

/**
 * The sha256 of each file of a task's attachments (its /inbox), by path: the input files
 * that go into the task cache's key. Read as results are (no link followed); the inbox is
 * made by the server of hard links to the run's uploads, so there is none to follow anyway.
 */
export async function inputFileDigests(inbox: string): Promise<Record<string, string>> {
  const base = dirname(inbox);
  const folder = basename(inbox);
  const digests: Record<string, string> = {};
  for (const file of await listTaskFiles(base, folder)) {
    const hash = createHash("sha256");
    for await (const chunk of await openTaskFile(base, `${folder}/${file.path}`, file.size)) hash.update(chunk as Buffer);
    digests[file.path] = `sha256:${hash.digest("hex")}`;
  }
  return digests;
}
