import { posix } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Client, SFTPWrapper } from "ssh2";
import { sshLogin, SshLoginError, type SshCredentials } from "../net/ssh-login.js";
import { ArchivingError, safeSegments, type ArchiveTarget } from "./archive-target.js";

export interface SftpOptions {
  host: string;
  port: number;
  /** Absolute, or relative to the login folder. */
  rootDir: string;
  archiveDir: string;
  credentials: SshCredentials;
  /** `SHA256:…` as `ssh-keygen -l` prints it; when set, a server showing another host key is refused. */
  hostKeySha256?: string | null;
  /** How long connecting and logging in may take. */
  readyTimeoutMs?: number;
}

export type { SshCredentials };

/** SFTP status code for "no such file" (draft-ietf-secsh-filexfer-02, SSH_FX_NO_SUCH_FILE). */
const NO_SUCH_FILE = 2;

/**
 * Logs in over SSH (net/ssh-login.ts) and opens SFTP on ROOT_DIR/ARCHIVE_DIR. A refused key or password is
 * reported as such and is not worth retrying; a connection that fails may be.
 */
export async function openSftpTarget(options: SftpOptions): Promise<ArchiveTarget> {
  const { host, port, credentials } = options;
  const who = `${credentials.username}@${host}:${port}`;
  let client: Client;
  try {
    client = await sshLogin({ host, port, credentials, hostKeySha256: options.hostKeySha256, readyTimeoutMs: options.readyTimeoutMs });
  } catch (err) {
    if (!(err instanceof SshLoginError)) throw err;
    throw new ArchivingError(err.code, err.message, { retryable: err.retryable, cause: err.cause });
  }
  const sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
    client.sftp((err, opened) => (err ? reject(new ArchivingError("runtime_unavailable", `${who} does not offer SFTP: ${err.message}`, { retryable: true, cause: err })) : resolve(opened)));
  }).catch((err: unknown) => {
    client.end();
    throw err;
  });

  const rootSegments = safeSegments(options.rootDir, "root_dir");
  const base = posix.join(options.rootDir.startsWith("/") ? "/" : ".", ...rootSegments, ...safeSegments(options.archiveDir, "archive_dir"));
  const at = (path: string) => posix.join(base, ...safeSegments(path, "path"));
  const call = <T>(what: string, op: (done: (err: Error | null | undefined, value?: T) => void) => void) =>
    new Promise<T>((resolve, reject) =>
      op((err, value) => (err ? reject(new ArchivingError("forbidden", `${what} on ${who} failed: ${err.message}`, { retryable: true, cause: err })) : resolve(value as T))),
    );

  async function mkdirp(path: string): Promise<void> {
    let current = path.startsWith("/") ? "/" : ".";
    for (const segment of path.split("/").filter((s) => s !== "" && s !== ".")) {
      current = posix.join(current, segment);
      const exists = await new Promise<boolean>((resolve) => sftp.stat(current, (err) => resolve(!err)));
      if (exists) continue;
      await new Promise<void>((resolve, reject) =>
        sftp.mkdir(current, (err) => {
          if (!err) return resolve();
          // Created meanwhile by another archiving of the same archive: fine.
          sftp.stat(current, (again) => (again ? reject(new ArchivingError("forbidden", `creating ${current} on ${who} failed: ${err.message}`, { retryable: true, cause: err })) : resolve()));
        }),
      );
    }
  }

  await mkdirp(base);
  return {
    location: `sftp://${who}${base.startsWith("/") ? "" : "/~/"}${base.replace(/^\.\//, "")}`,
    mkdir: (path) => mkdirp(at(path)),
    async writeFile(path, content: Buffer | Readable) {
      if (Buffer.isBuffer(content)) return call<void>(`writing ${at(path)}`, (done) => sftp.writeFile(at(path), content, done));
      try {
        await pipeline(content, sftp.createWriteStream(at(path)));
      } catch (err) {
        throw new ArchivingError("forbidden", `writing ${at(path)} on ${who} failed: ${(err as Error).message}`, { retryable: true, cause: err });
      }
    },
    async remove(path) {
      await new Promise<void>((resolve, reject) =>
        sftp.unlink(at(path), (err) => (err && (err as { code?: number }).code !== NO_SUCH_FILE ? reject(err) : resolve())),
      );
    },
    async close() {
      sftp.end();
      client.end();
    },
  };
}
