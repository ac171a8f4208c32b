import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { mkdir, open, writeFile } from "node:fs/promises";
import type { Client } from "ssh2";

/** What one command printed and how it ended. */
export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes (to count offsets into files exactly). */
  raw: Buffer;
}

export interface ShellOptions {
  /** Written to the command's standard input, which is then closed. */
  stdin?: string | Buffer;
  /** Most bytes kept of stdout (and of stderr); the rest is dropped. Default 1 MiB. */
  maxBytes?: number;
}

/**
 * Where a Slurm system's commands run: the server itself or a login node over SSH. Every
 * file operation of a job (making its folder, writing its script, reading its logs and
 * outputs) is a command here too, so that both kinds behave the same and a remote job
 * folder is only ever touched with the rights of the system's SSH user.
 */
export interface SlurmShell {
  /** `localhost` or `user@host:port`, for messages. */
  readonly where: string;
  /** Runs argv as one command (never through a shell on the local side; quoted for the remote one). */
  exec(argv: readonly string[], options?: ShellOptions): Promise<ShellResult>;
  /** Up to `maxBytes` of a regular file from `offset` (a link is not followed); empty when there is none. */
  readFile(path: string, offset: number, maxBytes: number): Promise<Buffer>;
  /** Creates or replaces a file. */
  writeFile(path: string, content: string | Buffer): Promise<void>;
  /** Creates the folders and their parents. */
  mkdirs(paths: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_MAX_BYTES = 1024 * 1024;

/** Commands on the server, with `env` added to its environment (SLURM_CONF). */
export function localShell(env: Record<string, string>): SlurmShell {
  const fullEnv = { ...process.env, ...env };
  return {
    where: "localhost",
    exec(argv, options = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn(argv[0]!, argv.slice(1), { env: fullEnv, stdio: ["pipe", "pipe", "pipe"] });
        const out = collector(options.maxBytes);
        const err = collector(options.maxBytes);
        child.stdout.on("data", out.add);
        child.stderr.on("data", err.add);
        child.once("error", reject);
        child.once("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout: out.text(), stderr: err.text(), raw: out.bytes() }));
        // A command that does not read its stdin closes it early: that is not a failure.
        child.stdin.on("error", () => {});
        child.stdin.end(options.stdin ?? "");
      });
    },
    // Files on this machine are read and written directly: a process per poll of each log
    // file cost seconds per job with 50 jobs on a loaded 2-core machine (bench slurm-50-jobs).
    async readFile(path, offset, maxBytes) {
      let handle;
      try {
        handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return Buffer.alloc(0);
        throw err;
      }
      try {
        if (!(await handle.stat()).isFile()) return Buffer.alloc(0);
        const buffer = Buffer.alloc(maxBytes);
        const { bytesRead } = await handle.read(buffer, 0, maxBytes, offset);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
    async writeFile(path, content) {
      await writeFile(path, content);
    },
    async mkdirs(paths) {
      for (const path of paths) await mkdir(path, { recursive: true });
    },
    async close() {},
  };
}

/** Commands on a login node over an SSH connection that is already logged in. */
export function sshShell(client: Client, where: string): SlurmShell {
  const shell: SlurmShell = {
    where,
    exec(argv, options = {}) {
      return new Promise((resolve, reject) => {
        client.exec(argv.map(shellQuote).join(" "), (err, channel) => {
          if (err) return reject(err);
          const out = collector(options.maxBytes);
          const errs = collector(options.maxBytes);
          channel.on("data", out.add);
          channel.stderr.on("data", errs.add);
          channel.once("close", (code: number | null) => resolve({ code: code ?? 255, stdout: out.text(), stderr: errs.text(), raw: out.bytes() }));
          channel.end(options.stdin ?? "");
        });
      });
    },
    async readFile(path, offset, maxBytes) {
      const result = await shell.exec(["sh", "-c", '[ -f "$1" ] && [ ! -L "$1" ] && tail -c +"$2" -- "$1" | head -c "$3"', "sh", path, String(offset + 1), String(maxBytes)], { maxBytes });
      return result.raw;
    },
    async writeFile(path, content) {
      const result = await shell.exec(["sh", "-c", 'cat > "$1"', "sh", path], { stdin: content });
      if (result.code !== 0) throw new Error(`writing ${path} on ${where} failed: ${result.stderr.trim().split("\n")[0] || `exit ${result.code}`}`);
    },
    async mkdirs(paths) {
      const result = await shell.exec(["mkdir", "-p", "--", ...paths]);
      if (result.code !== 0) throw new Error(`creating ${paths.join(", ")} on ${where} failed: ${result.stderr.trim().split("\n")[0] || `exit ${result.code}`}`);
    },
    async close() {
      client.end();
    },
  };
  return shell;
}

/** One word for a POSIX shell: single quotes, with each ' written as '\''. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function collector(maxBytes = DEFAULT_MAX_BYTES) {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    add: (chunk: Buffer) => {
      if (size >= maxBytes) return;
      const kept = chunk.subarray(0, maxBytes - size);
      chunks.push(kept);
      size += kept.length;
    },
    bytes: () => Buffer.concat(chunks),
    text: () => Buffer.concat(chunks).toString("utf8"),
  };
}
