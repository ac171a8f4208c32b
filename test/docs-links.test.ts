import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The documents hold together: every relative link (and its #anchor) in README.md,
 * ARCHITECTURE.md, docs/ and the other READMEs points at something in the repository, no
 * link leaves it (the docs must read the same offline and in a fork), the README stays a
 * front page, and "What is not there yet" claims a performance target missed only where
 * the performance page's own table says so (the README once said fan-1000 missed 2x of
 * make while its table said met).
 */

const root = resolve(import.meta.dirname, "..");

const OTHER_DOCUMENTS = ["bench/README.md", "packages/sdk/README.md", "packages/cairn/context/README.md"];
const README_MAX_LINES = 220;

function markdownFilesUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".md"))
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join("/"));
}

const documents = ["README.md", "ARCHITECTURE.md", ...markdownFilesUnder("docs"), ...OTHER_DOCUMENTS];

function read(file: string): string {
  return readFileSync(join(root, file), "utf8");
}

/** The text GitHub renders as prose: fenced code blocks blanked (lines kept, for line numbers). */
function withoutCodeBlocks(text: string): string[] {
  let fence: string | undefined;
  return text.split("\n").map((line) => {
    const opening = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence === undefined && opening) {
      fence = opening[1]![0]!.repeat(opening[1]!.length);
      return "";
    }
    if (fence !== undefined) {
      if (line.trim().startsWith(fence)) fence = undefined;
      return "";
    }
    return line;
  });
}

/**
 * Inline code spans say things, they do not link: `http://127.0.0.1:8080` is an example,
 * not a link. A span may run over a line break (not over a blank line); lines are kept.
 */
function withoutInlineCode(lines: string[]): string[] {
  return lines
    .join("\n")
    .replace(/(`+)(?:(?!\n[ \t]*\n)[\s\S])*?\1/g, (span) => span.replace(/[^\n]/g, ""))
    .split("\n");
}

interface Link {
  file: string;
  line: number;
  target: string;
}

function linksOf(file: string): Link[] {
  const links: Link[] = [];
  withoutInlineCode(withoutCodeBlocks(read(file))).forEach((line, i) => {
    const add = (target: string) => links.push({ file, line: i + 1, target });
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) add(m[1]!);
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(line);
    if (definition) add(definition[1]!);
    for (const m of line.matchAll(/<([a-z][a-z0-9+.-]*:[^>\s]+)>/gi)) add(m[1]!);
    for (const m of line.matchAll(/\b(?:href|src)\s*=\s*["']([^"']+)["']/gi)) add(m[1]!);
    // GitHub turns a bare URL in prose into a link as well.
    for (const m of line.matchAll(/(?<![(<"'])\b(?:https?|ftp):\/\/[^\s)>\]]+/gi)) add(m[0]);
  });
  return links;
}

/** GitHub's anchor of a heading: its text, lowercased, without punctuation, spaces as hyphens. */
function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[`*~]/g, "")
    .replace(/<[^>]+>/g, "")
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutCodeBlocks(read(file))) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const base = slug(heading[1]!);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:name|id)\s*=\s*["']([^"']+)["']/gi)) anchors.add(m[1]!);
  }
  return anchors;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/** What is wrong with a link, or undefined when it resolves inside the repository. */
function problemOf(link: Link): string | undefined {
  const { file, target } = link;
  if (target === "") return "an empty link";
  if (SCHEME.test(target) || target.startsWith("//")) return `leaves the repository (${target})`;
  const hashAt = target.indexOf("#");
  const pathPart = decodeURI(hashAt === -1 ? target : target.slice(0, hashAt));
  const anchor = hashAt === -1 ? undefined : decodeURIComponent(target.slice(hashAt + 1));
  const resolved = pathPart === "" ? join(root, file) : pathPart.startsWith("/") ? join(root, pathPart) : resolve(root, dirname(file), pathPart);
  const inside = relative(root, resolved);
  if (inside.startsWith("..") || resolve(root, inside) !== resolved) return `leaves the repository (${target} is ${resolved})`;
  if (!existsSync(resolved)) return `points at ${inside}, which does not exist`;
  if (anchor !== undefined && anchor !== "" && statSync(resolved).isFile() && resolved.endsWith(".md")) {
    if (!anchorsOf(inside).has(anchor)) return `points at #${anchor}, which is no heading of ${inside}`;
  }
  return undefined;
}

function problems(links: Link[]): string[] {
  return links.flatMap((l) => {
    const problem = problemOf(l);
    return problem === undefined ? [] : [`${l.file}:${l.line}: ${problem}`];
  });
}

/** A `## Heading` section's prose (code blocks left out), up to the next heading of that level or higher. */
function section(file: string, heading: string): string {
  const lines = withoutCodeBlocks(read(file));
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start === -1) throw new Error(`${file} has no '${heading}' section`);
  const level = heading.indexOf(" ");
  const end = lines.findIndex((l, i) => i > start && new RegExp(`^#{1,${level}}\\s`).test(l));
  return lines.slice(start + 1, end === -1 ? undefined : end).join("\n");
}

/**
 * docs/performance.md's latest-run tables: each workload's targets, as `TARGET: met` or
 * `TARGET: missed` in the `target` column (the structured marker this test reads).
 */
function targetsByWorkload(): Map<string, string[]> {
  const targets = new Map<string, string[]>();
  let targetColumn = -1;
  for (const line of section("docs/performance.md", "## The latest whole run").split("\n")) {
    if (!line.startsWith("|")) {
      targetColumn = -1;
      continue;
    }
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    if (targetColumn === -1) {
      targetColumn = cells.indexOf("target");
      continue;
    }
    const workload = /^[a-z][a-z0-9-]*/.exec(cells[0] ?? "")?.[0];
    if (workload === undefined || targetColumn === -1) continue;
    const verdicts = [...(cells[targetColumn] ?? "").matchAll(/:\s*(met|missed)\b/g)].map((m) => m[1]!);
    targets.set(workload, [...(targets.get(workload) ?? []), ...verdicts]);
  }
  return targets;
}

/** The items of the bullet lists in `text`: a `- ` line and the indented lines under it. */
function listItems(text: string): string[] {
  const items: string[] = [];
  let current: string[] | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("- ")) {
      current = [line];
      items.push("");
    } else if (current && /^\s+\S/.test(line)) {
      current.push(line);
    } else {
      current = undefined;
    }
    if (current) items[items.length - 1] = current.join("\n");
  }
  return items;
}

function workloadsNamedIn(text: string, workloads: Iterable<string>): string[] {
  return [...workloads].filter((w) => new RegExp(`(?<![\\w-])${w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w-])`).test(text));
}

describe("the documents", () => {
  it("are all found", () => {
    for (const file of ["README.md", "ARCHITECTURE.md", "docs/README.md", "docs/security.md", "docs/not-there-yet.md", "docs/performance.md"]) {
      expect(documents, file).toContain(file);
    }
  });

  it("link only to files and headings that exist in the repository", () => {
    const links = documents.flatMap(linksOf);
    expect(links.length).toBeGreaterThan(50);
    expect(problems(links)).toEqual([]);
  });

  it("README.md stays a front page", () => {
    const lines = read("README.md").split("\n").length;
    expect(lines).toBeLessThan(README_MAX_LINES);
  });

  it("docs/README.md lists every document in docs/", () => {
    const listed = new Set(linksOf("docs/README.md").map((l) => resolve(root, "docs", l.target.split("#")[0]!)));
    const missing = markdownFilesUnder("docs")
      .filter((f) => f !== "docs/README.md")
      .filter((f) => !listed.has(join(root, f)));
    expect(missing).toEqual([]);
  });

  it("'What is not there yet' claims a performance target missed only where the performance table says so", () => {
    const targets = targetsByWorkload();
    expect(targets.size, "workloads with a target in docs/performance.md").toBeGreaterThan(5);
    const missed = [...targets].filter(([, verdicts]) => verdicts.includes("missed")).map(([w]) => w);

    // Each bullet of the Performance list in docs/not-there-yet.md is a claim that a target is missed.
    const bullets = listItems(section("docs/not-there-yet.md", "## Performance"));
    const claimed = bullets.flatMap((b) => workloadsNamedIn(b, targets.keys()));
    expect(claimed.filter((w) => !missed.includes(w)), "listed as missed, but met in docs/performance.md").toEqual([]);
    expect(missed.filter((w) => !claimed.includes(w)), "missed in docs/performance.md, but not listed in docs/not-there-yet.md").toEqual([]);

    // The front page's short list names only workloads that miss a target.
    const front = workloadsNamedIn(section("README.md", "## What is not there yet"), targets.keys());
    expect(front.filter((w) => !missed.includes(w)), "named in README's 'What is not there yet', but met").toEqual([]);
  });

  it("docs/configuration.md names every environment variable and flag Cairn reads", () => {
    const config = read("docs/configuration.md");
    const sources = ["packages/cairn/src/config.ts", ...readdirSync(join(root, "packages/cairn/src/cli")).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts")).map((f) => `packages/cairn/src/cli/${f}`)];
    const variables = new Set<string>();
    const flags = new Set<string>();
    for (const file of sources) {
      const text = read(file);
      for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]+)|\.env\("([A-Z][A-Z0-9_]+)"\)/g)) variables.add((m[1] ?? m[2])!);
      for (const m of text.matchAll(/(?:\.(?:option|requiredOption)|new Option)\(\s*"(?:-\w, )?(--[a-z][a-z-]*)/g)) flags.add(m[1]!);
    }
    expect(variables.size).toBeGreaterThan(20);
    expect(flags.size).toBeGreaterThan(15);
    const named = (name: string) => new RegExp(`(?<![\\w-])${name}(?![\\w-])`).test(config);
    expect([...variables].filter((v) => !named(v)), "variables missing from docs/configuration.md").toEqual([]);
    expect([...flags].filter((f) => !named(f)), "flags missing from docs/configuration.md").toEqual([]);
  });
});
