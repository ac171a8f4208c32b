import { join } from "node:path";
import type { SystemRecord } from "../store/service-store.js";
import { ArchivingError, type ArchiveTarget } from "./archive-target.js";
import { openLocalTarget } from "./local-target.js";
import type { S3Credentials } from "./s3-target.js";
import { openSftpTarget, type SshCredentials } from "./sftp-target.js";

/** Opens an archive folder on a system of any type; the one place that knows the types. */
export interface SystemConnector {
  /** `label` names the system in messages; by default `system 'ID'`. */
  open(system: SystemRecord, archiveDir: string, label?: string): Promise<ArchiveTarget>;
}

export interface SystemConnectorOptions {
  /** CAIRN_LOCAL_SYSTEMS_ROOT. */
  localSystemsRoot: string;
  /** The SSH credentials an identity holds; undefined when it is gone or of another type. */
  sshCredentials(identityUuid: string): Promise<SshCredentials | undefined>;
  /** The access keys an identity holds; undefined when it is gone or of another type. */
  s3Credentials?(identityUuid: string): Promise<S3Credentials | undefined>;
  readyTimeoutMs?: number;
}

export function systemConnector(options: SystemConnectorOptions): SystemConnector {
  return {
    async open(system, archiveDir, label = `system '${system.id}'`) {
      const settings = system.settings;
      switch (settings.type) {
        case "local":
          return openLocalTarget(localGroupRoot(options.localSystemsRoot, system.groupId), settings.rootDir, archiveDir);
        case "ssh": {
          const credentials = await options.sshCredentials(settings.identityUuid);
          if (!credentials) {
            throw new ArchivingError("not_found", `system '${system.id}' uses identity '${settings.identityUuid}', which no longer exists or holds no SSH credentials`, {
              retryable: false,
            });
          }
          return openSftpTarget({ host: settings.host, port: settings.port, rootDir: settings.rootDir, archiveDir, credentials, hostKeySha256: settings.hostKeySha256 ?? null, readyTimeoutMs: options.readyTimeoutMs });
        }
        case "s3": {
          const credentials = await options.s3Credentials?.(settings.identityUuid);
          if (!credentials) {
            throw new ArchivingError("not_found", `${label} uses identity '${settings.identityUuid}', which no longer exists or holds no S3 keys`, {
              retryable: false,
            });
          }
          // The AWS SDK is loaded on first use: a server without S3 archives never pays for it.
          const { openS3Target } = await import("./s3-target.js");
          return openS3Target({ ...settings, archiveDir, credentials, owner: `S3 ${label}` });
        }
        case "slurm":
          // A Slurm system is where jobs run; its job folders are not an archive's place.
          throw new ArchivingError("invalid_input", `${label} is a slurm system, which runs jobs and holds no archives; use a local, ssh or s3 system`, { retryable: false });
      }
    },
  };
}

/**
 * Each group's local systems live in their own folder under CAIRN_LOCAL_SYSTEMS_ROOT, so
 * the admin of one group cannot point a system at another group's archives.
 */
export function localGroupRoot(localSystemsRoot: string, groupId: string): string {
  return join(localSystemsRoot, groupId);
}
