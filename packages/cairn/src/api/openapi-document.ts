import type { ApiContext } from "./api-context.js";
import { buildApi } from "./build-api.js";

/**
 * The OpenAPI document the server serves at /openapi.json, made without a database or a
 * socket: the app is built but never listens. The typed client is generated from it
 * (packages/cairn/scripts/generate-api-types.ts).
 */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const app = await buildApi(describingOnly());
  try {
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
  }
}

/**
 * A context for an app that serves no request. Registering the routes only reads it
 * (`ctx.store.service`); any call through it is a bug here and throws, naming the call.
 */
function describingOnly(): ApiContext {
  const refuse = (path: string): unknown =>
    new Proxy(() => undefined, {
      // `then` stays undefined so that nobody mistakes it for a promise.
      get: (_target, key) => (key === "then" ? undefined : refuse(`${path}.${String(key)}`)),
      apply: () => {
        throw new Error(`${path}() was called while only describing the API`);
      },
    });
  return refuse("ctx") as ApiContext;
}
