import { chmod, link, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { folderEntries } from "./folder-entries.js";

/**
 * Files shared without copying: a run's attachments become each task's inbox
 * (workspace/run-inbox.ts), and an inbox part of an image build's context
 * (images/build-source.ts), both as hard links to the same inodes.
 */

/** Hard-links every regular file under `from` into `to`, keeping folders. Anything else is left out. */
export async function linkTree(from: string, to: string): Promise<void> {
  for (const entry of await folderEntries(from)) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) {
      await mkdir(target, { recursive: true });
      await linkTree(source, target);
    } else if (entry.isFile()) {
      // The inode is shared by every task's inbox: read-only, so that a host-runtime task
      // (which has no read-only mount) cannot change another task's copy by accident.
      await chmod(source, 0o444);
      await link(source, target);
    }
  }
}
