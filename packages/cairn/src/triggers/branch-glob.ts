/**
 * Branch name patterns of a webhook: `*` matches any characters but `/`, `**` any
 * characters, `?` one character but `/`; everything else matches itself. An empty list
 * matches every branch.
 */

export function matchesBranch(patterns: readonly string[], branch: string): boolean {
  return patterns.length === 0 || patterns.some((p) => globRegExp(p).test(branch));
}

/** Why the pattern cannot be used, or undefined when it can. */
export function branchPatternProblem(pattern: string): string | undefined {
  if (pattern === "") return "must not be empty";
  if (pattern.length > 255) return "must be at most 255 characters";
  if (/[\s~^:\\[]/.test(pattern)) return "must not hold spaces or ~ ^ : \\ [ (git refuses them in branch names)";
  return undefined;
}

function globRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      source += ".*";
      i++;
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}
