import type { ArchiveSettings, ServiceStore, SystemRecord } from "../store/service-store.js";
import { ArchivingError } from "./archive-target.js";

/** The system an archive writes to, and how messages name it. */
export interface ArchiveSystem {
  system: SystemRecord;
  label: string;
}

/**
 * The system an archive names (an s3 one for an S3 archive); or, for an
 * S3 archive in the Tapis shape that holds its own bucket, that bucket as a system of the
 * archive's id (never stored as one).
 */
export async function archiveSystem(
  service: Pick<ServiceStore, "getSystem">,
  archive: { groupId: string; id: string; uuid: string; owner: string; createdAt: number; settings: ArchiveSettings },
): Promise<ArchiveSystem> {
  const { settings, groupId } = archive;
  if (settings.systemId === null) {
    return {
      system: { uuid: archive.uuid, groupId, id: archive.id, owner: archive.owner, description: null, settings: { type: "s3", ...settings.location }, createdAt: archive.createdAt },
      label: `archive '${archive.id}'`,
    };
  }
  const system = await service.getSystem(groupId, settings.systemId);
  if (!system) throw new ArchivingError("not_found", `archive '${archive.id}' names system '${settings.systemId}', which does not exist in group '${groupId}'`, { retryable: false });
  // A `system` archive may use a system of any type, an s3 one too, as in Tapis.
  if (settings.type === "S3" && system.settings.type !== "s3") {
    throw new ArchivingError("invalid_input", `archive '${archive.id}' of type 'S3' needs an s3 system; system '${system.id}' is of type '${system.settings.type}'`, { retryable: false });
  }
  return { system, label: `system '${system.id}'` };
}
