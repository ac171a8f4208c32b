import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { CairnConfig } from "../config.js";
import { CairnError } from "../errors.js";
import { resolveEngine } from "../docker-api/engine-endpoint.js";
import type { Store } from "../store/store.js";
import type { ServerMetrics } from "./server-metrics.js";

/**
 * For whoever runs the server (a load balancer, Kubernetes, Prometheus), outside the
 * versioned API and its OpenAPI document:
 * - `GET /healthz`: the process answers (no token, no database);
 * - `GET /readyz`: the database and the container engine answer, or 503 naming which does not;
 * - `GET /metrics`: Prometheus' text format, behind `Authorization: Bearer CAIRN_METRICS_TOKEN` when that is set.
 */

/** A readiness check that takes longer than this counts as not answering: a probe must not hang. */
const CHECK_TIMEOUT_MS = 5_000;

export interface OperationsOptions {
  config: CairnConfig;
  store: Store;
  metrics: ServerMetrics;
}

export function operationsRoutes(app: FastifyInstance, { config, store, metrics }: OperationsOptions): void {
  app.addHook("onResponse", (request, reply, done) => {
    // The route's pattern, not its URL: ids in paths would make a series per run.
    metrics.observeRequest(request.method, request.routeOptions.url ?? "unmatched", reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));

  app.get("/readyz", { schema: { hide: true } }, async (request, reply) => {
    const [database, engine] = await Promise.all([
      check(() => store.service.countUsers()),
      // Starts the Podman service when it is Cairn's to start, as the first container task would.
      check(() => resolveEngine(config)),
    ]);
    const checks = { database: database ? "failing" : "ok", container_engine: engine ? "failing" : "ok" };
    if (!database && !engine) return { status: "ready", checks };
    // The reasons (addresses, socket paths) go to the log; the answer, open to anyone, names the part.
    request.log.warn({ database, container_engine: engine }, "not ready");
    const failing = [...(database ? ["the database"] : []), ...(engine ? ["the container engine"] : [])];
    return reply.status(503).send({ status: "not ready", message: `not ready: ${failing.join(" and ")} ${failing.length > 1 ? "do" : "does"} not answer (the reason is in the server log)`, checks });
  });

  app.get("/metrics", { schema: { hide: true } }, async (request, reply) => {
    if (config.metricsToken !== undefined && !bearerIs(request.headers.authorization, config.metricsToken)) {
      throw new CairnError("unauthenticated", "GET /metrics needs Authorization: Bearer with the token in CAIRN_METRICS_TOKEN");
    }
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}

/** Undefined when the check passed in time, else why not. */
async function check(probe: () => Promise<unknown>): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
  }
}

function bearerIs(header: string | undefined, token: string): boolean {
  const sent = /^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1];
  if (sent === undefined) return false;
  const x = Buffer.from(sent);
  const y = Buffer.from(token);
  return x.length === y.length && timingSafeEqual(x, y);
}
