import type { FastifySerializerCompiler } from "fastify";
import { ResponseSerializationError, serializerCompiler as encodingSerializerCompiler } from "fastify-type-provider-zod";
import { $ZodType, safeParse } from "zod/v4/core";

/**
 * The answers' serializer: fastify-type-provider-zod's (check the answer against its zod
 * schema, dropping unknown keys, then JSON.stringify), with zod's parse instead of its
 * encode wherever the two give the same result. zod compiles parse into straight-line
 * code; encode is interpreted, and took 4.6 µs against parse's 0.9 µs for a run's
 * envelope (a third of the serializer's time in the server's CPU profile of api-read).
 *
 * They differ only where a schema has a direction: defaults and catches fill in on
 * parse only, transforms, pipes and codecs run one way or the other. A schema with any
 * of those anywhere keeps the library's encode, so every answer is the same as before.
 */
export const responseSerializerCompiler: FastifySerializerCompiler<unknown> = (route) => {
  const schema = zodSchemaOf(route.schema);
  if (!parsesAsItEncodes(schema)) return encodingSerializerCompiler(route as Parameters<typeof encodingSerializerCompiler>[0]);
  const { method, url } = route;
  return (data: unknown) => {
    const result = safeParse(schema, data);
    if (result.error) throw new ResponseSerializationError(method, url, { cause: result.error });
    return JSON.stringify(result.data);
  };
};

/** A route's response schema, or the library's wrapping of one (a schema per content type). */
function zodSchemaOf(schema: unknown): $ZodType {
  if (schema instanceof $ZodType) return schema;
  const wrapped = (schema as { properties?: unknown } | null)?.properties;
  if (wrapped instanceof $ZodType) return wrapped;
  throw new TypeError(`a response schema is not a zod schema: ${JSON.stringify(schema)}`);
}

/** Types whose parse and encode accept the same values and give them back the same. */
const UNDIRECTED = new Set(["string", "number", "int", "boolean", "bigint", "symbol", "null", "undefined", "void", "never", "any", "unknown", "date", "nan", "enum", "literal", "template_literal"]);

/** True when nothing in the schema behaves differently by direction; unknown kinds count as directed. */
export function parsesAsItEncodes(schema: $ZodType, seen = new Set<$ZodType>()): boolean {
  if (seen.has(schema)) return true;
  seen.add(schema);
  const all = (schemas: readonly unknown[]) => schemas.every((s) => s === undefined || s === null || parsesAsItEncodes(s as $ZodType, seen));
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (def.type) {
    case "object":
      return all(Object.values(def.shape as Record<string, unknown>)) && all([def.catchall]);
    case "array":
      return all([def.element]);
    case "record":
    case "map":
      return all([def.keyType, def.valueType]);
    case "set":
      return all([def.valueType]);
    case "union":
      return all(def.options as unknown[]);
    case "intersection":
      return all([def.left, def.right]);
    case "tuple":
      return all(def.items as unknown[]) && all([def.rest]);
    case "optional":
    case "nullable":
    case "nonoptional":
    case "readonly":
      return all([def.innerType]);
    default:
      return UNDIRECTED.has(def.type);
  }
}
