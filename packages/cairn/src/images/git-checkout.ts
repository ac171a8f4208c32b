import { TaskFailure } from "../errors.js";
import { defaultPort, type EgressDestination, type EgressPolicy } from "../net/egress-policy.js";
import { runVcs, VcsError } from "./vcs-process.js";

/**
 * Clones one branch of a repository at depth 1 with git itself, which speaks every
 * transport and server quirk. Credentials go in an `Authorization` header set through
 * git's GIT_CONFIG_* environment (git 2.31+), never in the URL or argv: both show up in
 * `ps`, in git's own messages and in .git/config.
 *
 * git runs inside the server, so its destination goes through the egress policy first
 * and git is then held to the address that was checked; only http(s), git and ssh URLs
 * are fetched (no `file://`, local paths or `ext::` commands). The clone has the policy's
 * time limits and runs in a process group of its own that dies with the task, and with
 * the server.
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

export interface CloneOptions {
  branch?: string;
  credentials?: GitCredentials;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
  /** What the server may connect to, and for how long. */
  egress: EgressPolicy;
  /** The field the URL came from, for messages (`context.url`). */
  field?: string;
}

/** The transports git may use at all, for this clone and anything it would start (GIT_ALLOW_PROTOCOL). */
const ALLOWED_PROTOCOLS = "http:https:git:ssh";

export async function cloneRepository(url: string, dir: string, options: CloneOptions): Promise<Checkout> {
  const subject = `clone of ${url}${options.field ? ` (${options.field})` : ""}`;
  // One limit for the whole checkout: the clone and the look-ups after it.
  const deadline = AbortSignal.timeout(options.egress.fetchTimeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const failed = (err: unknown) => cloneFailure(url, { ...options, signal, deadline }, err);
  const remote = await checkedRemote(url, options.egress, subject).catch((err: unknown) => {
    // A refusal says so itself; a name that does not resolve is worded like any clone that could not connect.
    throw err instanceof TaskFailure ? err : failed(err);
  });

  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    // Never ask on a terminal: a missing or wrong password fails at once.
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "/bin/false",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_ALLOW_PROTOCOL: ALLOWED_PROTOCOLS,
    ...remote.env,
  };
  const settings: Array<[string, string]> = [
    // A redirect would lead curl to a host nobody checked.
    ["http.followRedirects", "false"],
    // A server that accepts and then sends nothing is given up on at the connect timeout, not curl's never.
    ["http.lowSpeedLimit", "1"],
    ["http.lowSpeedTime", String(Math.max(1, Math.ceil(options.egress.connectTimeoutMs / 1000)))],
    ...remote.settings,
  ];
  if (options.credentials) {
    const basic = Buffer.from(`${options.credentials.username}:${options.credentials.secret}`).toString("base64");
    settings.push(["http.extraHeader", `Authorization: Basic ${basic}`]);
  }
  env.GIT_CONFIG_COUNT = String(settings.length);
  settings.forEach(([key, value], i) => Object.assign(env, { [`GIT_CONFIG_KEY_${i}`]: key, [`GIT_CONFIG_VALUE_${i}`]: value }));

  const args = ["clone", "--quiet", "--depth", "1", "--single-branch", ...(options.branch ? ["--branch", options.branch] : []), "--", remote.url, dir];
  await git(args, env, signal, options.onLine).catch((err: unknown) => {
    throw failed(err);
  });
  try {
    const commit = (await git(["-C", dir, "rev-parse", "HEAD"], env, signal)).trim();
    const branch = options.branch ?? (await git(["-C", dir, "rev-parse", "--abbrev-ref", "HEAD"], env, signal)).trim();
    return { commit, branch };
  } catch (err) {
    throw signal.aborted ? failed(err) : err;
  }
}

interface CheckedRemote {
  /** The URL git is given: its host replaced by the checked address where git would look the name up again. */
  url: string;
  settings: Array<[string, string]>;
  env: Record<string, string>;
}

/**
 * Checks a clone URL's destination with the policy and holds git to the checked
 * addresses: curl is handed them for http(s) (http.curloptResolve, git 2.37+, so TLS is
 * still verified against the name); git:// and ssh:// connect to the address itself
 * (ssh still checks the host key under the name, with HostKeyAlias).
 */
async function checkedRemote(url: string, egress: EgressPolicy, subject: string): Promise<CheckedRemote> {
  const refuse = (why: string) => new TaskFailure(`${subject} refused: ${why}`, { retryable: false });
  // `ext::COMMAND` runs a command, `fd::` and friends read the server's own descriptors.
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(url)) throw refuse(`git's '${url.slice(0, url.indexOf("::"))}::' transports run commands on the server; give an http(s):// or git:// URL`);
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url)) throw refuse("a local path or an scp-style address is not fetched; give an http(s):// or git:// URL");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new TaskFailure(`${subject} failed: '${url}' is not a valid URL`, { retryable: false, cause });
  }
  const scheme = parsed.protocol === "git+ssh:" || parsed.protocol === "ssh+git:" ? "ssh:" : parsed.protocol;
  if (!["http:", "https:", "git:", "ssh:"].includes(scheme)) throw refuse(`the ${parsed.protocol.slice(0, -1)} transport is not fetched; give an http(s):// or git:// URL`);
  if (parsed.hostname === "") throw refuse("the URL names no host");

  const port = Number(parsed.port) || defaultPort(scheme);
  const destination = await egress.check(parsed.hostname, port, subject);
  if (scheme === "http:" || scheme === "https:") {
    // A special scheme's URL is normalized already (2130706433 is 127.0.0.1 in it); a name is pinned for curl.
    const pin: Array<[string, string]> = destination.addresses.some((a) => a.address === destination.host) ? [] : [["http.curloptResolve", curlResolve(destination)]];
    return { url: parsed.href, settings: pin, env: {} };
  }
  const name = destination.host;
  const first = destination.addresses[0]!;
  parsed.hostname = first.family === 6 ? `[${first.address}]` : first.address;
  if (scheme === "git:") return { url: parsed.href, settings: [], env: {} };
  const seconds = Math.max(1, Math.ceil(egress.connectTimeoutMs / 1000));
  return {
    url: parsed.href,
    settings: [],
    env: { GIT_SSH_COMMAND: `ssh -o BatchMode=yes -o ConnectTimeout=${seconds} -o ServerAliveInterval=${seconds} -o ServerAliveCountMax=1 -o HostKeyAlias=${name}` },
  };
}

/** curl's --resolve entry: `host:port:addr[,addr]`, IPv6 addresses in brackets. */
function curlResolve(destination: EgressDestination): string {
  const addresses = destination.addresses.map((a) => (a.family === 6 ? `[${a.address}]` : a.address));
  return `${destination.host}:${destination.port}:${addresses.join(",")}`;
}

/** Runs git in a process group that dies with the server (vcs-process.ts). */
function git(args: string[], env: Record<string, string>, signal: AbortSignal, onLine?: (line: string) => void): Promise<string> {
  return runVcs("git", args, env, signal, onLine);
}

function cloneFailure(url: string, options: { branch?: string; credentials?: GitCredentials; signal: AbortSignal; deadline: AbortSignal; egress: EgressPolicy }, err: unknown): Error {
  if (options.deadline.aborted) {
    return new TaskFailure(`could not clone ${url}: it took longer than ${options.egress.fetchTimeoutMs / 1000} s, the most a server-side fetch may take (CAIRN_EGRESS_FETCH_TIMEOUT)`, {
      retryable: true,
      cause: err,
    });
  }
  if (options.signal.aborted) return options.signal.reason as Error;
  if ((err as NodeJS.ErrnoException).code === "ENOENT") return new TaskFailure("git is not installed on this server (apt-get install git)", { retryable: false, cause: err });
  const stderr = err instanceof VcsError ? err.stderr : String(err);
  const last = stderr.split("\n").filter((l) => l.trim() !== "").at(-1) ?? "";
  // Whole numbers only: a port such as 40132 in git's message is no 401.
  if (/Authentication failed|could not read Username|terminal prompts disabled|\b40[13]\b/i.test(stderr)) {
    const who = options.credentials ? `the credentials of '${options.credentials.username}'` : "no credentials (is it private? give identity_uuid or credentials)";
    return new TaskFailure(`the git server refused to let ${url} be cloned with ${who}: ${last}`, { retryable: false, cause: err });
  }
  if (options.branch && /Remote branch .* not found|not found in upstream/i.test(stderr)) {
    return new TaskFailure(`${url} has no branch '${options.branch}'`, { retryable: false, cause: err });
  }
  if (/not found|does not exist|\b404\b/i.test(stderr)) return new TaskFailure(`there is no repository at ${url}: ${last}`, { retryable: false, cause: err });
  return new TaskFailure(`could not clone ${url}: ${last}`, { retryable: true, cause: err });
}
