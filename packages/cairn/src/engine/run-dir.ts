import { rm } from "node:fs/promises";
import { join } from "node:path";

/** A run's working folder: its attempts' inputs and outputs, its attachments and inboxes. */
export function runDir(dataDir: string, runUuid: string): string {
  return join(dataDir, "runs", runUuid);
}

export async function removeRunDir(dataDir: string, runUuid: string): Promise<void> {
  await rm(runDir(dataDir, runUuid), { recursive: true, force: true });
}
