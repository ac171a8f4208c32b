import { ValidationError, type Issue } from "../errors.js";

/** Directives override how one run behaves (tapis-workflows.txt, "Directives"). */
export type Directives = Record<string, string | true>;

/** Directives that take a value after `:`; every other known directive is a flag. */
const VALUE_DIRECTIVES = new Set(["custom_tag"]);
const FLAG_DIRECTIVES = new Set(["commit_destination", "no_push", "dry_run", "nocache", "cache"]);
const KNOWN = [...VALUE_DIRECTIVES, ...FLAG_DIRECTIVES].join(", ");

/** The documented rule for the bracketed directive string (Python flavour, same in JS). */
const DIRECTIVE_STRING = /^\[[a-zA-Z0-9\s:|._-]+\]$/;
/** An image tag as registries accept it, since custom_tag becomes one. */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Directives from a commit message: the bracketed part at the end, e.g.
 * `"Some commit message [cache|custom_tag:my-custom-tagV.1]"` gives
 * `{ cache: true, custom_tag: "my-custom-tagV.1" }`. No bracketed part gives `{}`.
 * @throws ValidationError when the bracketed part is malformed or names an unknown directive.
 */
export function parseDirectives(text: string): Directives {
  const trimmed = text.trimEnd();
  if (!trimmed.endsWith("]")) return {};
  const open = trimmed.lastIndexOf("[");
  if (open === -1) return {};
  const bracketed = trimmed.slice(open);
  if (!DIRECTIVE_STRING.test(bracketed)) {
    const message =
      bracketed === "[]"
        ? "the directive string is empty"
        : `the directive string ${JSON.stringify(bracketed)} must match \\[[a-zA-Z0-9\\s:|._-]+\\] (letters, digits, whitespace and : | . _ - only)`;
    throw new ValidationError("commit message directives", [{ path: "directives", message }]);
  }
  return collect(bracketed.slice(1, -1).split("|"));
}

/**
 * Directives given in a request body or on the command line: an object
 * (`{ no_push: true, custom_tag: "v1" }`) or an array of strings (`["no_push", "custom_tag:v1"]`).
 * @throws ValidationError naming each bad directive.
 */
export function validateDirectives(input: unknown): Directives {
  if (Array.isArray(input)) {
    const notStrings: Issue[] = input.flatMap((item, i) =>
      typeof item === "string" ? [] : [{ path: `directives[${i}]`, message: `expected a string like "no_push" or "custom_tag:v1", got ${typeName(item)}` }],
    );
    if (notStrings.length > 0) throw new ValidationError("directives", notStrings);
    return collect(input as string[]);
  }
  if (typeof input === "object" && input !== null) {
    const parts: string[] = [];
    const issues: Issue[] = [];
    for (const [name, value] of Object.entries(input)) {
      if (value === true) parts.push(name);
      else if (value === false || value === null) continue; // an unset flag
      else if (typeof value === "string") parts.push(`${name}:${value}`);
      else issues.push({ path: `directives.${name}`, message: `expected true or a string, got ${typeName(value)}` });
    }
    if (issues.length > 0) throw new ValidationError("directives", issues);
    return collect(parts);
  }
  throw new ValidationError("directives", [
    { path: "directives", message: `expected an object or an array of strings, got ${typeName(input)}` },
  ]);
}

function collect(parts: readonly string[]): Directives {
  const directives: Directives = {};
  const issues: Issue[] = [];
  parts.forEach((part, i) => {
    const colon = part.indexOf(":");
    const name = (colon === -1 ? part : part.slice(0, colon)).trim();
    const value = colon === -1 ? undefined : part.slice(colon + 1).trim();
    const path = name && /^\w+$/.test(name) ? `directives.${name}` : `directives[${i}]`;
    const problem = checkDirective(name, value);
    if (problem) issues.push({ path, message: problem });
    else if (Object.hasOwn(directives, name)) issues.push({ path, message: `directive '${name}' is given more than once` });
    else directives[name] = value ?? true; // a known name, so never "__proto__"
  });
  if (directives.cache === true && directives.nocache === true) {
    issues.push({ path: "directives.nocache", message: "'cache' and 'nocache' contradict each other" });
  }
  if (issues.length > 0) throw new ValidationError("directives", issues);
  return directives;
}

function checkDirective(name: string, value: string | undefined): string | undefined {
  if (name === "") return value === undefined ? "empty directive (two '|' in a row, or one at an end?)" : "directive name missing before ':'";
  if (VALUE_DIRECTIVES.has(name)) {
    if (value === undefined || value === "") return `directive '${name}' needs a value, as in '${name}:VALUE'`;
    if (name === "custom_tag" && !IMAGE_TAG.test(value)) {
      return `directive 'custom_tag' value ${JSON.stringify(value)} is not a valid image tag (letters, digits, _ . -, at most 128, not starting with . or -)`;
    }
    return undefined;
  }
  if (FLAG_DIRECTIVES.has(name)) return value === undefined ? undefined : `directive '${name}' is a flag and takes no value`;
  return `unknown directive '${name}'; known directives: ${KNOWN}`;
}

function typeName(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}
