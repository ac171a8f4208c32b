import type { FastifyInstance } from "fastify";
import { CairnError } from "../errors.js";

/**
 * JSON bodies are refused when nested deeper than MAX_JSON_DEPTH, before they are parsed.
 * JSON.parse itself copes with 10,000 levels, but what reads the value afterwards (the zod
 * schemas, the pipeline validator, the serializer) recurses and ran out of stack: a body
 * of 20 KiB was a 500. No pipeline, event or answer of Cairn comes near 64 levels.
 */
export const MAX_JSON_DEPTH = 64;

/** Replaces Fastify's JSON parser by one that checks the nesting first, then parses as before (proto poisoning refused). */
export function parseJsonWithDepthLimit(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = body as string;
    if (jsonTextDepth(text) > MAX_JSON_DEPTH) {
      done(tooDeep("the body"), undefined);
      return;
    }
    parse(request, text, done);
  });
}

/**
 * How deeply arrays and objects nest in a JSON text, scanned without parsing (brackets in
 * strings do not count). Invalid JSON gets some answer; JSON.parse rejects it afterwards.
 */
export function jsonTextDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return deepest;
}

/** How deeply arrays and objects nest in a parsed value, walked without recursion (a value parsed by a plugin, a multipart JSON part). */
export function valueDepth(value: unknown, limit = MAX_JSON_DEPTH): number {
  let deepest = 0;
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    // Past the limit the answer is known: stop, rather than walk a huge value.
    if (deepest > limit) return deepest;
    for (const child of Object.values(v)) stack.push({ value: child, depth: here });
  }
  return deepest;
}

/** The 400 for a value nested too deeply; `what` names it ("the body", "part 'params'"). */
export function tooDeep(what: string): CairnError {
  return new CairnError("invalid_input", `${what} is nested more than ${MAX_JSON_DEPTH} levels deep (arrays and objects within each other); send a flatter value`);
}
