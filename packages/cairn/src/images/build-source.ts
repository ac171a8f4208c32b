import { createHash } from "node:crypto";
import { lstat, mkdir, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { TaskFailure } from "../errors.js";
import { linkTree } from "../link-tree.js";
import { cloneRepository, type GitCredentials } from "./git-checkout.js";
import { cloneMercurial } from "./hg-checkout.js";
import type { EgressPolicy } from "../net/egress-policy.js";

/**
 * Puts a build's recipe in a folder: a clone of a git (or Mercurial) repository, or an inline
 * Dockerfile with its attachments (kabuto-api.txt). Says which folder is the context
 * and which file in it is the Dockerfile, and records what the recipe was, for the
 * image catalog's provenance.
 */

export interface RecipeRecord {
  /** Where the recipe came from (`gitUrl` is the repository's URL for mercurial too). */
  source: "git" | "mercurial" | "inline";
  gitUrl?: string;
  branch?: string;
  commit?: string;
  subPath?: string;
  /** The Dockerfile's path inside the context. */
  dockerfile: string;
  /** sha256 of the Dockerfile's bytes, `sha256:…`. */
  dockerfileSha256: string;
}

export interface PreparedSource {
  /** The context folder (the repository's sub_path, or the inline files' folder). */
  contextDir: string;
  dockerfile: string;
  recipe: RecipeRecord;
}

export type SourceSpec =
  | { kind: "git"; url: string; branch?: string; subPath?: string; dockerfile?: string; credentials?: GitCredentials; /** Mercurial instead of git. */ vcs?: "mercurial" }
  | { kind: "inline"; dockerfile: string; attachments: Record<string, string>; /** A folder of files to take in first (the task's inbox). */ inbox?: string };

export async function prepareSource(
  spec: SourceSpec,
  workDir: string,
  options: { signal?: AbortSignal; onLine?: (line: string) => void; /** Needed for a git source: what the clone may connect to. */ egress?: EgressPolicy } = {},
): Promise<PreparedSource> {
  if (spec.kind === "inline") return writeInline(spec, join(workDir, "inline"));
  const { egress, ...rest } = options;
  if (egress === undefined) throw new Error("prepareSource: a git source is cloned through the egress policy, and none was given");
  const checkout = join(workDir, "checkout");
  const clone = spec.vcs === "mercurial" ? cloneMercurial : cloneRepository;
  const { commit, branch } = await clone(spec.url, checkout, {
    ...(spec.branch ? { branch: spec.branch } : {}),
    ...(spec.credentials ? { credentials: spec.credentials } : {}),
    ...rest,
    egress,
    field: "context.url",
  });
  const subPath = spec.subPath?.replace(/^\.?\/+/, "").replace(/\/+$/, "") || undefined;
  const contextDir = subPath ? join(checkout, subPath) : checkout;
  await insideCheck(checkout, contextDir, `sub_path '${spec.subPath}'`, "folder");
  const dockerfile = spec.dockerfile ?? "Dockerfile";
  const content = await readInside(contextDir, dockerfile, spec.subPath ? `build_file_path '${dockerfile}' (in sub_path '${spec.subPath}')` : `build_file_path '${dockerfile}'`);
  return {
    contextDir,
    dockerfile,
    recipe: { source: spec.vcs ?? "git", gitUrl: spec.url, branch, commit, ...(subPath ? { subPath } : {}), dockerfile, dockerfileSha256: sha256(content) },
  };
}

async function writeInline(spec: Extract<SourceSpec, { kind: "inline" }>, dir: string): Promise<PreparedSource> {
  await mkdir(dir, { recursive: true });
  // Hard links: an uploaded file of any size costs no copy. Whatever is written below
  // unlinks its path first, so the inbox's own file is never written through a link.
  if (spec.inbox !== undefined) await linkTree(spec.inbox, dir);
  for (const [path, base64] of Object.entries(spec.attachments)) {
    const target = join(dir, path);
    // The schema refuses '..' and absolute paths; this is the second lock on the door.
    if (relative(dir, target).startsWith("..")) throw new TaskFailure(`attachment '${path}' is outside the build context`, { retryable: false });
    await mkdir(dirname(target), { recursive: true });
    await rm(target, { force: true });
    await writeFile(target, Buffer.from(base64, "base64"));
  }
  const dockerfile = "Dockerfile";
  const content = Buffer.from(spec.dockerfile, "utf8");
  await rm(join(dir, dockerfile), { force: true });
  await writeFile(join(dir, dockerfile), content);
  return { contextDir: dir, dockerfile, recipe: { source: "inline", dockerfile, dockerfileSha256: sha256(content) } };
}

/** Reads a file of the context, refusing one that is missing or, through a symbolic link, outside it. */
async function readInside(contextDir: string, path: string, what: string): Promise<Buffer> {
  const file = join(contextDir, path);
  const stat = await lstat(file).catch(() => undefined);
  if (!stat) throw new TaskFailure(`${what}: there is no such file in the repository`, { retryable: false });
  await insideCheck(contextDir, file, what, "file");
  return readFile(file);
}

async function insideCheck(root: string, path: string, what: string, kind: string): Promise<void> {
  const [realRoot, realPath] = await Promise.all([realpath(root), realpath(path).catch(() => undefined)]);
  if (realPath === undefined) throw new TaskFailure(`${what}: there is no such ${kind} in the repository`, { retryable: false });
  if (realPath !== realRoot && !realPath.startsWith(realRoot + sep)) throw new TaskFailure(`${what} leads outside the repository`, { retryable: false });
}

function sha256(content: Buffer): string {
  return `sha256:${createHash("sha256").update(content).digest("hex")}`;
}
