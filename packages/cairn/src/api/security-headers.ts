import helmet from "@fastify/helmet";
import type { FastifyInstance } from "fastify";

/**
 * Headers on every answer, errors and 404s included, that keep a browser from misusing
 * what Cairn serves: no MIME sniffing (a task's output served as text must not run as a
 * script), no framing (clickjacking of a future web UI), no referrer (URLs carry run ids),
 * a strict CSP for the web UI's files, and `Cache-Control: no-store` so answers that carry
 * tokens, secrets' names or results are not kept by a browser or a proxy.
 *
 * Registered before any other hook: a request refused early (CSRF, a bad token) gets them too.
 */
export async function addSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "no-referrer" },
    // Cairn serves plain HTTP (a TLS proxy in front sets HSTS for its own domains); sent from
    // here, with includeSubDomains, it could pin sibling sites of the proxy's domain to HTTPS.
    strictTransportSecurity: false,
  });
  app.addHook("onRequest", (_request, reply, done) => {
    // A route that means to be cached sets its own Cache-Control, which replaces this.
    void reply.header("cache-control", "no-store");
    done();
  });
}
