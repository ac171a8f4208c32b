import { createHash } from "node:crypto";
import { Client } from "ssh2";
import { CairnError, type ErrorCode } from "../errors.js";

export type SshCredentials = { username: string; private_key: string } | { username: string; password: string };

export interface SshLoginOptions {
  host: string;
  port: number;
  credentials: SshCredentials;
  /** `SHA256:…` as `ssh-keygen -l` prints it; when set, a server showing another host key is refused. */
  hostKeySha256?: string | null;
  /** How long connecting and logging in may take. */
  readyTimeoutMs?: number;
}

/** Logging in over SSH failed; whether another try may help is data (a refused key stays refused). */
export class SshLoginError extends CairnError {
  override name = "SshLoginError";
  readonly retryable: boolean;
  constructor(code: ErrorCode, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(code, message, { cause: options.cause });
    this.retryable = options.retryable;
  }
}

/**
 * Logs in over SSH with a key or a password, and nothing else (no agent, no prompts):
 * the one place that connects, for SFTP archives and Slurm systems alike. A refused key,
 * password or host key is reported as such and is not worth retrying; a connection that
 * fails may be.
 */
export async function sshLogin(options: SshLoginOptions): Promise<Client> {
  const { host, port, credentials } = options;
  const who = `${credentials.username}@${host}:${port}`;
  const client = new Client();
  let hostKeyRefused: string | undefined;
  await new Promise<void>((resolve, reject) => {
    client.once("error", (err: Error & { level?: string }) => {
      if (hostKeyRefused) {
        reject(new SshLoginError("forbidden", `the SSH server ${host}:${port} showed host key ${hostKeyRefused}, not the system's host_key ${options.hostKeySha256}`, { retryable: false, cause: err }));
      } else if (err.level === "client-authentication") {
        const how = "private_key" in credentials ? "key" : "password";
        reject(new SshLoginError("unauthenticated", `SSH login as ${who} was refused: the identity's ${how} was not accepted`, { retryable: false, cause: err }));
      } else {
        reject(new SshLoginError("runtime_unavailable", `cannot reach the SSH server ${host}:${port}: ${err.message}`, { retryable: true, cause: err }));
      }
    });
    client.once("ready", () => resolve());
    client.connect({
      host,
      port,
      username: credentials.username,
      ...("private_key" in credentials ? { privateKey: credentials.private_key } : { password: credentials.password }),
      readyTimeout: options.readyTimeoutMs ?? 20_000,
      // Only what was asked for: no agent, no keyboard-interactive prompts.
      tryKeyboard: false,
      ...(options.hostKeySha256
        ? {
            hostVerifier: (key: Buffer) => {
              const seen = `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
              if (seen !== options.hostKeySha256) hostKeyRefused = seen;
              return seen === options.hostKeySha256;
            },
          }
        : {}),
    });
  }).catch((err: unknown) => {
    client.end();
    throw err;
  });
  // After login, errors arrive on the operations; an unhandled one would end the process.
  client.on("error", () => {});
  return client;
}
