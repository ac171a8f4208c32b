import { TaskFailure } from "../../errors.js";

/**
 * A path a pipeline gives inside a folder (a file input's targetPath, an attachment's
 * name), `/`-joined again without empty or `.` segments; `..`, an absolute path and NUL
 * are refused rather than repaired.
 */
export function safeRelativePath(path: string, what: string): string {
  const segments = path.split("/").filter((s) => s !== "" && s !== ".");
  if (path.startsWith("/") || path.includes("\0") || segments.includes("..") || segments.length === 0) {
    throw new TaskFailure(`${what} '${path}' must be a relative path without '..'`, { retryable: false });
  }
  return segments.join("/");
}
