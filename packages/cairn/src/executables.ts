import { constants as fsConstants } from "node:fs";
import { access } from "node:fs/promises";
import { delimiter, join } from "node:path";

/** Where PATH is unset (a bare service environment), the directories a Debian install keeps programs in. */
const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

/**
 * The full path of the program `name` as the shell would find it on PATH, or undefined
 * when none is there: for the helper programs Cairn starts itself (podman, apptainer),
 * so a missing one gets a clear message rather than a spawn ENOENT.
 */
export async function findExecutable(name: string, path: string = process.env.PATH ?? DEFAULT_PATH): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    const candidate = join(dir, name);
    if (await access(candidate, fsConstants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
}
