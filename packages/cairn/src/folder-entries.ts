import { readdirSync, type Dirent } from "node:fs";
import { readdir } from "node:fs/promises";

/*
 * A folder that is not there has no entries: an inbox without attachments, an outbox a
 * task never wrote to. Any other failure to read it is an error.
 */

/** The entries of `dir`, none when it does not exist. */
export async function folderEntries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

/** The names in `dir`, none when it does not exist; synchronous, for the attempt's own folders (workspace/attempt-files.ts says why). */
export function folderNamesSync(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === "ENOENT";
}
