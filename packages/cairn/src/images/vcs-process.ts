import { spawn } from "node:child_process";

/**
 * Runs a version-control program (git, hg) for a server-side checkout, in a process group
 * of its own so that a kill reaches what it starts too (git-remote-http, index-pack, ssh).
 * `sh` first starts a watcher in that group, which waits on a pipe only this process
 * writes to: when the server exits, even by kill -9, the pipe closes and the watcher kills
 * the group, so no checkout outlives the server.
 */

/** A program that ran and failed: its stderr, for the caller to word the failure. */
export class VcsError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

const IN_GROUP_THAT_DIES_WITH_US = 'exec 3<&0 </dev/null; (read x <&3; kill -KILL 0) >/dev/null 2>&1 & exec "$0" "$@" 3<&-';

/**
 * Resolves with the program's stdout, rejects with a VcsError holding its stderr, or an
 * ENOENT error when the program is not installed. An abort of `signal` kills its group.
 */
export function runVcs(program: string, args: string[], env: Record<string, string>, signal: AbortSignal, onLine?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const child = spawn("sh", ["-c", IN_GROUP_THAT_DIES_WITH_US, program, ...args], { env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    const killGroup = () => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // Gone already.
      }
    };
    signal.addEventListener("abort", killGroup, { once: true });
    child.stdin.on("error", () => undefined);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (onLine) for (const line of chunk.toString().split(/\r?\n|\r/)) if (line.trim() !== "") onLine(line);
    });
    const done = () => {
      signal.removeEventListener("abort", killGroup);
      // Lets the watcher go: the program has ended.
      child.stdin.destroy();
    };
    child.on("error", (err) => {
      done();
      reject(err);
    });
    child.on("close", (code) => {
      done();
      if (code === 0) return resolve(stdout);
      // sh's "PROGRAM: not found": not installed on this server.
      if (code === 127 && /not found/.test(stderr)) return reject(Object.assign(new Error(`${program} not found`), { code: "ENOENT" }));
      reject(new VcsError(`${program} ${args[0]} exited with ${code ?? "a signal"}`, stderr.trim()));
    });
  });
}
