import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TaskFailure } from "../errors.js";
import { defaultPort, type EgressPolicy } from "../net/egress-policy.js";
import type { Checkout, CloneOptions, GitCredentials } from "./git-checkout.js";
import { runVcs, VcsError } from "./vcs-process.js";

/**
 * Clones a Mercurial repository with hg itself, for Kabuto's `repo_url` ("Url to mercurial
 * repository containing a dockerfile", kabuto-api.txt). As for git (git-checkout.ts): the
 * destination goes through the egress policy first, only http(s) URLs are fetched, the
 * clone runs in a process group that dies with the task and the server, and credentials
 * never appear in the URL or argv: hg reads them from a private hgrc (mode 0600), which is
 * also the only configuration hg loads (HGRCPATH), so no user or system hgrc adds hooks
 * or extensions to a clone the server makes.
 *
 * Pinning: a plain-http clone connects to the address the policy checked (the URL's host
 * is replaced by it). An https clone keeps the name, so that TLS verifies it; a name that
 * resolved elsewhere a moment later would also need a certificate for that name there.
 */

/** The same options as a git clone's (git-checkout.ts). */
export async function cloneMercurial(url: string, dir: string, options: CloneOptions): Promise<Checkout> {
  const subject = `clone of ${url}${options.field ? ` (${options.field})` : ""}`;
  const deadline = AbortSignal.timeout(options.egress.fetchTimeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const remote = await checkedRemote(url, options.egress, subject);
  const config = await mkdtemp(join(tmpdir(), "cairn-hgrc-"));
  try {
    const hgrc = join(config, "hgrc");
    await writeFile(hgrc, hgrcText(remote, options.credentials), { mode: 0o600 });
    const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", HOME: config, HGRCPATH: hgrc, HGPLAIN: "1", HGENCODING: "utf-8" };
    const hg = (args: string[], onLine?: (line: string) => void) => runVcs("hg", args, env, signal, onLine);
    await hg(["clone", "--noninteractive", ...(options.branch ? ["--branch", options.branch] : []), "--", remote, dir], options.onLine).catch((err: unknown) => {
      throw cloneFailure(url, { ...options, signal, deadline }, err);
    });
    const [commit = "", branch = ""] = (await hg(["--cwd", dir, "log", "--rev", ".", "--template", "{node}\\n{branch}"])).split("\n");
    return { commit: commit.trim(), branch: options.branch ?? branch.trim() };
  } finally {
    await rm(config, { recursive: true, force: true });
  }
}

async function checkedRemote(url: string, egress: EgressPolicy, subject: string): Promise<string> {
  const refuse = (why: string) => new TaskFailure(`${subject} refused: ${why}`, { retryable: false });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new TaskFailure(`${subject} failed: '${url}' is not a valid URL`, { retryable: false, cause });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw refuse(`a Mercurial repository is fetched over http(s) only, not ${parsed.protocol.slice(0, -1)}`);
  if (parsed.username !== "" || parsed.password !== "") throw refuse("credentials do not belong in the URL; give them as an identity");
  const destination = await egress.check(parsed.hostname, Number(parsed.port) || defaultPort(parsed.protocol), subject);
  if (parsed.protocol === "http:") {
    const first = destination.addresses[0]!;
    parsed.hostname = first.family === 6 ? `[${first.address}]` : first.address;
  }
  return parsed.href;
}

/** hg's own settings for one clone: never prompt, and the credentials for this URL's prefix only. */
function hgrcText(remote: string, credentials: GitCredentials | undefined): string {
  const lines = ["[ui]", "interactive = False", "[extensions]"];
  if (credentials) {
    const line = (key: string, value: string) => `cairn.${key} = ${value.replace(/[\r\n]/g, "")}`;
    lines.push("[auth]", line("prefix", remote), line("username", credentials.username), line("password", credentials.secret));
  }
  return `${lines.join("\n")}\n`;
}

function cloneFailure(url: string, options: { branch?: string; credentials?: GitCredentials; signal: AbortSignal; deadline: AbortSignal; egress: EgressPolicy }, err: unknown): Error {
  if (options.deadline.aborted) {
    return new TaskFailure(`could not clone ${url}: it took longer than ${options.egress.fetchTimeoutMs / 1000} s, the most a server-side fetch may take (CAIRN_EGRESS_FETCH_TIMEOUT)`, { retryable: true, cause: err });
  }
  if (options.signal.aborted) return options.signal.reason as Error;
  if ((err as NodeJS.ErrnoException).code === "ENOENT") return new TaskFailure("Mercurial is not installed on this server (apt-get install mercurial)", { retryable: false, cause: err });
  const stderr = err instanceof VcsError ? err.stderr : String(err);
  const last = stderr.split("\n").filter((l) => l.trim() !== "").at(-1) ?? "";
  if (/authorization failed|HTTP Error 40[13]|\b40[13]\b.*(Unauthorized|Forbidden)/i.test(stderr)) {
    const who = options.credentials ? `the credentials of '${options.credentials.username}'` : "no credentials";
    return new TaskFailure(`the Mercurial server refused to let ${url} be cloned with ${who}: ${last}`, { retryable: false, cause: err });
  }
  if (options.branch && /unknown branch|unknown revision/i.test(stderr)) return new TaskFailure(`${url} has no branch '${options.branch}'`, { retryable: false, cause: err });
  if (/HTTP Error 404|does not appear to be an hg repository|not found/i.test(stderr)) return new TaskFailure(`there is no Mercurial repository at ${url}: ${last}`, { retryable: false, cause: err });
  return new TaskFailure(`could not clone ${url}: ${last}`, { retryable: true, cause: err });
}
