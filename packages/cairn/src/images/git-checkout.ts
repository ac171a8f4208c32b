import { spawn } from "node:child_process";
import { TaskFailure } from "../errors.js";

/**
 * Clones one branch of a repository at depth 1 with git itself, which speaks every
 * transport and server quirk. Credentials go in an `Authorization` header set through
 * git's GIT_CONFIG_* environment (git 2.31+), never in the URL or argv: both show up in
 * `ps`, in git's own messages and in .git/config.
 */

export interface GitCredentials {
  username: string;
  secret: string;
}

export interface Checkout {
  /** The full sha of the commit checked out. */
  commit: string;
  /** The branch checked out (the remote's default when none was asked for). */
  branch: string;
}

export async function cloneRepository(
  url: string,
  dir: string,
  options: { branch?: string; credentials?: GitCredentials; signal?: AbortSignal; onLine?: (line: string) => void },
): Promise<Checkout> {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    // Never ask on a terminal: a missing or wrong password fails at once.
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "/bin/false",
    GIT_CONFIG_NOSYSTEM: "1",
  };
  if (options.credentials) {
    const basic = Buffer.from(`${options.credentials.username}:${options.credentials.secret}`).toString("base64");
    Object.assign(env, { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "http.extraHeader", GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` });
  }
  const args = ["clone", "--quiet", "--depth", "1", "--single-branch", ...(options.branch ? ["--branch", options.branch] : []), "--", url, dir];
  await git(args, env, options.signal, options.onLine).catch((err: unknown) => {
    throw cloneFailure(url, options, err);
  });
  const commit = (await git(["-C", dir, "rev-parse", "HEAD"], env, options.signal)).trim();
  const branch = options.branch ?? (await git(["-C", dir, "rev-parse", "--abbrev-ref", "HEAD"], env, options.signal)).trim();
  return { commit, branch };
}

class GitError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** Runs git; resolves with its stdout, rejects with its stderr. */
function git(args: string[], env: Record<string, string>, signal?: AbortSignal, onLine?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { env, stdio: ["ignore", "pipe", "pipe"], ...(signal ? { signal } : {}) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (onLine) for (const line of chunk.toString().split(/\r?\n|\r/)) if (line.trim() !== "") onLine(line);
    });
    child.on("error", (err) => reject(err));
    child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new GitError(`git ${args[0]} exited with ${code}`, stderr.trim()))));
  });
}

function cloneFailure(url: string, options: { branch?: string; credentials?: GitCredentials; signal?: AbortSignal }, err: unknown): Error {
  if (options.signal?.aborted) return err as Error;
  if ((err as NodeJS.ErrnoException).code === "ENOENT") return new TaskFailure("git is not installed on this server (apt-get install git)", { retryable: false, cause: err });
  const stderr = err instanceof GitError ? err.stderr : String(err);
  const last = stderr.split("\n").filter((l) => l.trim() !== "").at(-1) ?? "";
  if (/Authentication failed|could not read Username|terminal prompts disabled|401|403/i.test(stderr)) {
    const who = options.credentials ? `the credentials of '${options.credentials.username}'` : "no credentials (is it private? give identity_uuid or credentials)";
    return new TaskFailure(`the git server refused to let ${url} be cloned with ${who}: ${last}`, { retryable: false, cause: err });
  }
  if (options.branch && /Remote branch .* not found|not found in upstream/i.test(stderr)) {
    return new TaskFailure(`${url} has no branch '${options.branch}'`, { retryable: false, cause: err });
  }
  if (/not found|does not exist|404/i.test(stderr)) return new TaskFailure(`there is no repository at ${url}: ${last}`, { retryable: false, cause: err });
  return new TaskFailure(`could not clone ${url}: ${last}`, { retryable: true, cause: err });
}
