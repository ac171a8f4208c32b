import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { FastifyInstance, FastifyServerOptions } from "fastify";
import type { LogLevel } from "../config.js";

/**
 * What the server logs and how a request is named in it: JSON lines from Fastify's pino
 * logger, each request with an id that its answer carries in `X-Request-Id` (and an error
 * answer in `request_id`), so a user's report leads to its lines in the log.
 */

export const REQUEST_ID_HEADER = "x-request-id";

/**
 * An incoming id is kept when it looks like one (a proxy's, a client's correlation id):
 * short, and nothing that could forge a log line or a header. Anything else gets a fresh one.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Headers and URL parts that carry credentials: never written to the log, whatever the
 * level. (Fastify's request serializer logs no headers today; this holds if it ever does,
 * or a route logs a request.)
 */
const REDACTED_PATHS = [
  "req.headers.authorization",
  'req.headers["x-tapis-token"]',
  "req.headers.cookie",
  'res.headers["set-cookie"]',
  "headers.authorization",
  'headers["x-tapis-token"]',
  "headers.cookie",
];

/** The Fastify options for logging and request ids; `destination` is for tests (a stream the lines go to). */
export function loggingOptions(level: LogLevel | false, destination?: NodeJS.WritableStream): Pick<FastifyServerOptions, "logger" | "genReqId" | "requestIdHeader"> {
  return {
    logger:
      level === false
        ? false
        : {
            level,
            redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
            serializers: {
              // The URL without its query (which may carry anything) and without the code of a confirmation link.
              req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, url: loggedUrl(req.url), remoteAddress: req.ip }),
            },
            ...(destination ? { stream: destination } : {}),
          },
    // The id is logged as `reqId` (Fastify's label; its option to rename it is deprecated).
    requestIdHeader: false,
    genReqId: requestIdOf,
  };
}

export function requestIdOf(request: IncomingMessage): string {
  const sent = request.headers[REQUEST_ID_HEADER];
  return typeof sent === "string" && SANE_REQUEST_ID.test(sent) ? sent : randomUUID();
}

/** Every answer names its request, errors or not. */
export function answerWithRequestId(app: FastifyInstance): void {
  app.addHook("onRequest", (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
}

function loggedUrl(url: string): string {
  const path = url.split("?")[0] ?? "";
  // GET /register/confirm/LOGIN/CODE: the code confirms an address, as a password would.
  return path.replace(/^(\/register\/confirm\/[^/]*\/).+$/, "$1[redacted]");
}
