import { parseDocument } from "yaml";
import { ValidationError, type Issue } from "../errors.js";
import { parsePipeline } from "./validate.js";
import type { Pipeline } from "./types.js";

/**
 * A pipeline from the text of a JSON or YAML file. JSON is tried when the text starts
 * with `{`; anything else is read as YAML.
 * @param sourceName names the text in errors, e.g. the file name.
 * @throws ValidationError with the line and column of a syntax error, or the pipeline's issues.
 */
export function parsePipelineText(text: string, sourceName: string): Pipeline {
  const body = text.replace(/^\uFEFF/, "");
  const value = body.trimStart().startsWith("{") ? parseJson(body, sourceName) : parseYaml(body, sourceName);
  return parsePipeline(value, sourceName);
}

function parseJson(text: string, sourceName: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    // V8 names the position for some errors only, so find it by scanning.
    const offset = jsonErrorOffset(text) ?? Number(/at position (\d+)/.exec(reason)?.[1] ?? Number.NaN);
    const where = Number.isNaN(offset) ? "" : ` at ${lineColumn(text, offset)}`;
    throw withCause(new ValidationError(sourceName, [{ path: "", message: `JSON syntax error${where}: ${reason}` }]), err);
  }
}

function parseYaml(text: string, sourceName: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues: Issue[] = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      const reason = e.message.split(" at line ")[0];
      return { path: "", message: `YAML syntax error${pos ? ` at line ${pos.line}, column ${pos.col}` : ""}: ${reason}` };
    });
    throw withCause(new ValidationError(sourceName, issues), doc.errors[0]);
  }
  try {
    // Bounds alias expansion ("billion laughs").
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw withCause(new ValidationError(sourceName, [{ path: "", message: `YAML error: ${reason}` }]), err);
  }
}

function withCause(error: ValidationError, cause: unknown): ValidationError {
  error.cause = cause;
  return error;
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return `line ${line}, column ${offset - before.lastIndexOf("\n")}`;
}

/** The offset of the first JSON syntax error (RFC 8259), or undefined if none is found. */
function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const fail = (): never => {
    throw new JsonSyntaxAt(i);
  };
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      const c = text[i];
      if (c === undefined || c < " ") fail();
      if (c === '"') return void i++;
      if (c !== "\\") i++;
      else if ('"\\/bfnrt'.includes(text[i + 1] ?? "")) i += 2;
      else if (/^u[0-9a-fA-F]{4}/.test(text.slice(i + 1, i + 6))) i += 6;
      else fail();
    }
  };
  const list = (close: string, member: () => void) => {
    i++;
    space();
    if (text[i] === close) return void i++;
    for (;;) {
      member();
      space();
      if (text[i] === ",") i++;
      else if (text[i] === close) return void i++;
      else fail();
    }
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === "{") {
      return list("}", () => {
        space();
        if (text[i] !== '"') fail();
        string();
        space();
        if (text[i] !== ":") fail();
        i++;
        value();
      });
    }
    if (c === "[") return list("]", value);
    if (c === '"') return string();
    const literal = ["true", "false", "null"].find((l) => text.startsWith(l, i));
    if (literal) return void (i += literal.length);
    const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (number) return void (i += number[0].length);
    fail();
  };
  try {
    value();
    space();
    if (i < text.length) fail();
    return undefined;
  } catch (err) {
    if (err instanceof JsonSyntaxAt) return err.offset;
    return undefined; // e.g. nesting too deep for the stack: no position then
  }
}

class JsonSyntaxAt {
  constructor(readonly offset: number) {}
}
