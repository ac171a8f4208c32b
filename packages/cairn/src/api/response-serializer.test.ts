import { serializerCompiler as encodingSerializerCompiler } from "fastify-type-provider-zod";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { envelopeSchema, errorEnvelopeSchema } from "./envelope.js";
import { parsesAsItEncodes, responseSerializerCompiler } from "./response-serializer.js";
import { executionSchema, runSchema } from "./routes/runs.js";

const route = (schema: z.ZodType) => ({ schema, method: "GET", url: "/x", httpStatus: "200" });
const run = {
  uuid: "6f1c1d5e-8b8e-4d0b-9a5e-2d7b0c8e1f11",
  pipeline_id: "p",
  group: "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d",
  group_id: "lab",
  status: "succeeded",
  params: { name: "wörld \u2028 \"quoted\"" },
  directives: { cache: true, custom_tag: "v1" },
  created_at: "2026-12-01T22:00:00.000Z",
  started_at: null,
  ended_at: "2026-12-01T22:00:01.000Z",
  message: null,
  started_by: "ada",
  trigger: "api",
  retry_of: null,
};

describe("responseSerializerCompiler", () => {
  it("writes exactly what the library's encoding serializer writes, unknown keys dropped", () => {
    const schema = envelopeSchema(runSchema);
    const answer = { success: true, status: 200, message: "Success", result: { ...run, extra: "not in the schema" } };
    const ours = responseSerializerCompiler(route(schema))(answer);
    expect(ours).toBe(encodingSerializerCompiler(route(schema))(answer));
    expect(JSON.parse(ours).result).toEqual(run);
  });

  it("refuses an answer that does not fit its schema, as the library does", () => {
    const schema = envelopeSchema(runSchema);
    const wrong = { success: true, status: 200, message: "Success", result: { ...run, status: "sleeping" } };
    expect(() => responseSerializerCompiler(route(schema))(wrong)).toThrow(expect.objectContaining({ code: "FST_ERR_RESPONSE_SERIALIZATION" }));
    expect(() => encodingSerializerCompiler(route(schema))(wrong)).toThrow(expect.objectContaining({ code: "FST_ERR_RESPONSE_SERIALIZATION" }));
  });

  it("parses where parse and encode agree, and keeps encode wherever a schema has a direction", () => {
    for (const schema of [envelopeSchema(runSchema), envelopeSchema(z.array(executionSchema)), errorEnvelopeSchema]) expect(parsesAsItEncodes(schema)).toBe(true);
    const directed = [
      z.object({ n: z.number().default(1) }),
      z.object({ inner: z.array(z.object({ s: z.string().catch("x") })) }),
      z.object({ t: z.string().transform((s) => s.length) }),
      z.union([z.string(), z.string().pipe(z.string())]),
      z.object({ lazy: z.lazy(() => z.string()) }),
    ];
    for (const schema of directed) expect(parsesAsItEncodes(schema)).toBe(false);
    // Where they differ, the answer is the library's: parse would fill in the default, encode refuses the answer.
    const withDefault = z.object({ n: z.number().default(1), s: z.string() });
    expect(z.parse(withDefault, { s: "a" })).toEqual({ n: 1, s: "a" });
    expect(() => encodingSerializerCompiler(route(withDefault))({ s: "a" })).toThrow(expect.objectContaining({ code: "FST_ERR_RESPONSE_SERIALIZATION" }));
    expect(() => responseSerializerCompiler(route(withDefault))({ s: "a" })).toThrow(expect.objectContaining({ code: "FST_ERR_RESPONSE_SERIALIZATION" }));
    expect(responseSerializerCompiler(route(withDefault))({ n: 2, s: "a" })).toBe('{"n":2,"s":"a"}');
  });
});
