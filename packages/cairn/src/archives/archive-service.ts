import type { ArchiveRecord, IdentityRecord, ServiceStore } from "../store/service-store.js";

type ArchiveWrites = Pick<ServiceStore, "createIdentity" | "deleteIdentity" | "createArchive" | "getArchive" | "deleteArchive">;

/** Where a clean-up that failed is told: it does not change the answer, but must not pass unseen. */
export type CleanupWarning = (message: string, cause: unknown) => void;

/**
 * Creates an archive. Keys given with it (`keptKeys`, sealed by the caller) are stored
 * first, as an identity of its owner, since `check` (the write check) opens the archive
 * with them; if the check or the archive's own write fails, they are removed again.
 */
export async function createArchive(
  service: ArchiveWrites,
  record: ArchiveRecord,
  keptKeys: IdentityRecord | undefined,
  check: () => Promise<void>,
  warn: CleanupWarning,
): Promise<void> {
  if (keptKeys) await service.createIdentity(keptKeys);
  try {
    await check();
    await service.createArchive(record);
  } catch (err) {
    // The archive's failure is the answer; keys left behind are reported, since they hold a secret no archive uses.
    if (keptKeys) {
      await service.deleteIdentity(keptKeys.uuid).catch((cause: unknown) => warn(`the keys given with archive '${record.id}' (identity ${keptKeys.uuid}) could not be removed`, cause));
    }
    throw err;
  }
}

/**
 * Deletes an archive (NotFoundError when there is none) and, for one that kept keys
 * given with it, that identity.
 */
export async function deleteArchive(service: ArchiveWrites, groupId: string, id: string, warn: CleanupWarning): Promise<void> {
  const archive = await service.getArchive(groupId, id);
  await service.deleteArchive(groupId, id);
  if (archive && "keysKeptForIt" in archive.settings) {
    const identityUuid = archive.settings.location.identityUuid;
    // The archive is gone either way; keys left behind are reported, since they hold a secret no archive uses.
    await service.deleteIdentity(identityUuid).catch((cause: unknown) => warn(`the keys given with archive '${id}' (identity ${identityUuid}) could not be removed`, cause));
  }
}
