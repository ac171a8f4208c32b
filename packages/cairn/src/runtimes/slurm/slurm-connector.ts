import { CairnError } from "../../errors.js";
import { sshLogin, type SshCredentials } from "../../net/ssh-login.js";
import type { SlurmSystemSettings } from "../../store/service-store.js";
import { localShell, sshShell, type SlurmShell } from "./slurm-shell.js";

export interface SlurmConnectorOptions {
  /** SLURM_CONF for commands run on the server (CAIRN_SLURM_CONF); unset, Slurm's own default. */
  slurmConf?: string;
  /** The SSH credentials an identity holds; undefined when it is gone or of another type. */
  sshCredentials?(identityUuid: string): Promise<SshCredentials | undefined>;
  readyTimeoutMs?: number;
}

/** Opens a shell where a slurm system's commands run: here for `localhost`, else over SSH with the system's identity. */
export type SlurmConnector = (system: { id: string; settings: SlurmSystemSettings }) => Promise<SlurmShell>;

export function slurmConnector(options: SlurmConnectorOptions): SlurmConnector {
  return async ({ id, settings }) => {
    if (settings.host === "localhost") return localShell(options.slurmConf ? { SLURM_CONF: options.slurmConf } : {});
    if (!settings.identityUuid || !options.sshCredentials) {
      throw new CairnError("not_found", `slurm system '${id}' has no SSH identity this server can open`);
    }
    const credentials = await options.sshCredentials(settings.identityUuid);
    if (!credentials) throw new CairnError("not_found", `slurm system '${id}' uses identity '${settings.identityUuid}', which no longer exists or holds no SSH credentials`);
    const port = settings.port ?? 22;
    const client = await sshLogin({ host: settings.host, port, credentials, hostKeySha256: settings.hostKeySha256 ?? null, readyTimeoutMs: options.readyTimeoutMs });
    return sshShell(client, `${credentials.username}@${settings.host}:${port}`);
  };
}
