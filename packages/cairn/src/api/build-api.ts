import cookie from "@fastify/cookie";
import formbody from "@fastify/formbody";
import swagger, { type SwaggerTransformObject } from "@fastify/swagger";
import Fastify, { type onRequestHookHandler } from "fastify";
import { createJsonSchemaTransform, createJsonSchemaTransformObject, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { LogLevel } from "../config.js";
import { CairnError } from "../errors.js";
import type { ApiApp, ApiContext } from "./api-context.js";
import { requireCsrfTokenWithCookies } from "./csrf.js";
import { apiSchemas, errorEnvelopeSchema, failure, sendError } from "./envelope.js";
import { parseJsonWithDepthLimit } from "./json-body.js";
import { engineRoutes } from "./routes/engine.js";
import { operationsRoutes } from "./operations-routes.js";
import { tokenOf } from "./principal.js";
import { answerWithRequestId, loggingOptions } from "./request-logging.js";
import { responseSerializerCompiler } from "./response-serializer.js";
import { addSecurityHeaders } from "./security-headers.js";
import { ServerMetrics } from "./server-metrics.js";
import { limitRunTokens } from "./run-token-scope.js";
import { leaveMultipartUnread } from "./upload-scope.js";
import { accountRoutes } from "./routes/accounts.js";
import { actorRoutes } from "./routes/actors.js";
import { archiveRoutes } from "./routes/archives.js";
import { groupRoutes } from "./routes/groups.js";
import { identityRoutes } from "./routes/identities.js";
import { imageBuildRoutes } from "./routes/image-builds.js";
import { imageRoutes } from "./routes/images.js";
import { kabutoJobRoutes } from "./routes/kabuto-jobs.js";
import { logRoutes } from "./routes/logs.js";
import { pipelineRoutes } from "./routes/pipelines.js";
import { resultRoutes } from "./routes/results.js";
import { apiIndexRoute } from "./routes/api-index.js";
import { runRoutes } from "./routes/runs.js";
import { scheduleRoutes } from "./routes/schedules.js";
import { secretRoutes } from "./routes/secrets.js";
import { systemRoutes } from "./routes/systems.js";
import { appRoutes } from "./routes/apps.js";
import { webhookRoutes } from "./routes/webhooks.js";
import { loadWebUi } from "./web-ui.js";
import { CAIRN_VERSION } from "../version.js";

const namedSchemas = createJsonSchemaTransformObject({ schemaRegistry: apiSchemas });

/** Requests larger than this are refused with 413; a pipeline definition is far smaller. */
export const BODY_LIMIT_BYTES = 1024 * 1024;
export const API_PREFIX = "/v3/workflows";

export interface ApiOptions {
  /** JSON lines to standard output (or `destination`) from this level up; no log when absent (tests). */
  log?: { level: LogLevel; destination?: NodeJS.WritableStream };
  /** The server's metrics, which also count the engine's work (start-server.ts); else made here, for the requests only. */
  metrics?: ServerMetrics;
  /** A `worker` process (--role worker): only /healthz, /readyz and /metrics, no API. */
  operationsOnly?: boolean;
}

/**
 * The HTTP API as a Fastify instance, not yet listening: routes validate with zod
 * schemas, and the same schemas make the OpenAPI document at /openapi.json.
 */
export async function buildApi(ctx: ApiContext, options: ApiOptions = {}): Promise<ApiApp> {
  const app = Fastify({ ...loggingOptions(options.log?.level ?? false, options.log?.destination), bodyLimit: BODY_LIMIT_BYTES }).withTypeProvider<ZodTypeProvider>();
  // First, so that every answer has them, those of requests refused by a later hook too.
  await addSecurityHeaders(app);
  answerWithRequestId(app);
  requireCsrfTokenWithCookies(app);
  parseJsonWithDepthLimit(app);
  // Made here when not given (the OpenAPI document's app): it then counts requests only.
  const metrics = options.metrics ?? new ServerMetrics(ctx.store);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler);
  app.setErrorHandler(sendError);
  // The web UI's files and pages are what the API has no route for (web-ui.ts). Read at
  // the first such request, so that an app built only to describe the API reads no config.
  let webUi: ReturnType<typeof loadWebUi> | undefined;
  app.setNotFoundHandler(async (request, reply) => {
    webUi ??= loadWebUi(ctx.config.webDir);
    if (await (await webUi).answer(request, reply)) return reply;
    return reply.status(404).send(failure(404, `there is no ${request.method} ${request.url.split("?")[0]}`, "not_found"));
  });

  await app.register(formbody);
  // Multipart bodies are read only by the routes that take uploads (withUploads).
  leaveMultipartUnread(app);
  await app.register(swagger, {
    openapi: {
      info: { title: "Cairn", description: "Pipelines of containers, functions and HTTP requests; the Tapis Workflows API", version: CAIRN_VERSION },
      components: {
        securitySchemes: {
          tapisToken: { type: "apiKey", in: "header", name: "X-Tapis-Token" },
          bearer: { type: "http", scheme: "bearer" },
        },
      },
      security: [{ tapisToken: [] }, { bearer: [] }],
    },
    transform: createJsonSchemaTransform({ schemaRegistry: apiSchemas }),
    transformObject: (document) => withoutUnreferencedSchemas(namedSchemas(document)),
  });

  app.decorateRequest("principal", null);
  app.decorateRequest("claims", null);
  app.decorateRequest("authError", null);
  const { checkSignature, authenticate } = tokenHooks(ctx);

  app.addHook("onRoute", limitRunTokens);
  app.addHook("onRoute", (route) => {
    // Each route checks the token it was sent first, with the hook its config asks for,
    // chosen here once rather than from the route's config on every request.
    route.onRequest = [route.config?.standingInHandler === true ? checkSignature : authenticate, ...hooksOf(route.onRequest)];
    if (route.schema?.hide) return;
    // Every error answer is the envelope (see sendError); saying so on each route puts it in
    // the OpenAPI document, so the generated client knows the shape of its errors too.
    route.schema = { ...route.schema, response: { "4xx": errorEnvelopeSchema, "5xx": errorEnvelopeSchema, ...(route.schema?.response as object | undefined) } };
  });

  // Only the account routes set the session cookie: @fastify/cookie, and its hook on every
  // answer, is theirs alone (tokenOf reads the cookie where a token is looked for).
  if (options.operationsOnly) {
    operationsRoutes(app, { config: ctx.config, store: ctx.store, metrics });
    await app.ready();
    return app;
  }
  await app.register(async (accounts) => {
    await accounts.register(cookie, { hook: false });
    accountRoutes(accounts, ctx);
  });
  await imageBuildRoutes(app, ctx);
  await kabutoJobRoutes(app, ctx);
  await app.register(
    async (api) => {
      groupRoutes(api, ctx);
      identityRoutes(api, ctx);
      secretRoutes(api, ctx);
      pipelineRoutes(api, ctx);
      await runRoutes(api, ctx);
      logRoutes(api, ctx);
      resultRoutes(api, ctx);
      systemRoutes(api, ctx);
      appRoutes(api, ctx);
      archiveRoutes(api, ctx);
      actorRoutes(api, ctx);
      imageRoutes(api, ctx);
      await webhookRoutes(api, ctx);
      scheduleRoutes(api, ctx);
      engineRoutes(api, ctx);
    },
    { prefix: API_PREFIX },
  );
  apiIndexRoute(app, API_PREFIX);
  operationsRoutes(app, { config: ctx.config, store: ctx.store, metrics });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  return app;
}

/**
 * The request hooks that check the token sent, if any. A bad token is only recorded:
 * it is reported where a caller is needed, so /login still works with a stale cookie.
 */
function tokenHooks(ctx: ApiContext): { checkSignature: onRequestHookHandler; authenticate: onRequestHookHandler } {
  return {
    // On routes with `standingInHandler`: the signature and expiry only, with no I/O, so
    // no promise either; the handler reads the token's standing with its rows.
    checkSignature(request, _reply, done) {
      const token = tokenOf(request);
      if (token !== undefined) {
        try {
          request.claims = ctx.tokens.verify(token);
        } catch (err) {
          request.authError = authErrorOf(err);
        }
      }
      done();
    },
    async authenticate(request) {
      const token = tokenOf(request);
      if (token === undefined) return;
      try {
        request.principal = await ctx.tokens.authenticate(token);
      } catch (err) {
        request.authError = authErrorOf(err);
      }
    },
  };
}

function authErrorOf(err: unknown): CairnError {
  return err instanceof CairnError ? err : new CairnError("unauthenticated", "the token could not be checked", { cause: err });
}

function hooksOf<H>(hooks: H | H[] | undefined): H[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
}

/**
 * The zod transform adds an `…Input` twin of every named schema for request bodies; the
 * named ones are all answers, so twins that nothing references are left out.
 */
function withoutUnreferencedSchemas(document: ReturnType<SwaggerTransformObject>): ReturnType<SwaggerTransformObject> {
  if (!("components" in document) || document.components?.schemas === undefined) return document;
  const text = JSON.stringify(document);
  const schemas = Object.entries(document.components.schemas).filter(([id]) => text.includes(`"#/components/schemas/${id}"`));
  // A fresh object made by the transform above, so changing it in place is safe.
  document.components.schemas = Object.fromEntries(schemas);
  return document;
}
