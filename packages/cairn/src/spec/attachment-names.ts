/**
 * Names of a run's attachments: relative paths under a task's `/inbox`, checked before a
 * byte is written so that no name can reach outside the inbox (kabuto-api.txt: job
 * attachments are found under "/inbox/").
 */

/** Where an attachment goes: every task of the run, or one task. */
export type AttachmentScope = { task?: string };

const MAX_SEGMENT_BYTES = 255;
const MAX_PATH_BYTES = 1024;

/**
 * Why `name` cannot be an attachment's path, or undefined when it can. A name is a
 * relative path of `/`-separated parts; `..`, `.`, empty parts, a leading `/`, a
 * backslash (a Windows path that would mean something else here) and NUL are refused.
 */
export function attachmentNameProblem(name: string): string | undefined {
  if (name === "") return "has no file name";
  if (name.includes("\0")) return "contains a NUL character";
  if (name.startsWith("/")) return `'${name}' is an absolute path; give a path relative to the inbox`;
  if (name.includes("\\")) return `'${name}' contains a backslash; separate folders with '/'`;
  if (Buffer.byteLength(name) > MAX_PATH_BYTES) return `is longer than ${MAX_PATH_BYTES} bytes`;
  for (const part of name.split("/")) {
    if (part === "..") return `'${name}' contains '..', which would leave the inbox`;
    if (part === "." || part === "") return `'${name}' has an empty or '.' folder`;
    if (Buffer.byteLength(part) > MAX_SEGMENT_BYTES) return `'${name}' has a part longer than ${MAX_SEGMENT_BYTES} bytes`;
  }
  return undefined;
}

/**
 * The attachments of one run, as they are added: refuses a second file at the same
 * place of a task's inbox, whether both are for every task or one is for that task
 * only, and a file where another needs a folder (`a` and `a/b`).
 */
export class AttachmentSet {
  /** Paths of files and of their folders, per scope ("" for every task). */
  private readonly files = new Map<string, Set<string>>();
  private readonly folders = new Map<string, Set<string>>();

  /** Why the file cannot be added, or undefined once it is. */
  add(scope: AttachmentScope, name: string): string | undefined {
    const problem = attachmentNameProblem(name);
    if (problem !== undefined) return problem;
    const key = scope.task ?? "";
    // A run-wide file meets every task's files; a task's file meets the run-wide ones.
    const others = key === "" ? [...this.files.keys()] : ["", key];
    const parents = ancestors(name);
    for (const other of new Set([key, ...others])) {
      const where = other === "" ? "for every task" : `for task '${other}'`;
      if (this.files.get(other)?.has(name)) return `'${name}' is given twice (once ${where})`;
      if (this.folders.get(other)?.has(name)) return `'${name}' is a folder of another attachment ${where}`;
      const clash = parents.find((p) => this.files.get(other)?.has(p));
      if (clash !== undefined) return `'${name}' needs '${clash}' to be a folder, but it is a file attached ${where}`;
    }
    setOf(this.files, key).add(name);
    for (const p of parents) setOf(this.folders, key).add(p);
    return undefined;
  }
}

function ancestors(name: string): string[] {
  const parts = name.split("/");
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("/"));
}

function setOf(map: Map<string, Set<string>>, key: string): Set<string> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
}
