import type { onRequestHookHandler, RouteOptions } from "fastify";
import { CairnError } from "../errors.js";

/**
 * What a run's token (CAIRN_API_TOKEN) may do: read its group's pipelines, runs, logs and
 * results and start runs, nothing else (issue 21, finding 3). Each route that a run's
 * token may call says so with `config: { runToken: "allow" }`; every other route refuses
 * one with 403 before its body is read. A route added without the flag is closed to run
 * tokens, so a new route cannot open them by being forgotten.
 *
 * Registered as an `onRoute` hook; it adds its check after the one that reads the token,
 * whichever of the two hooks runs first. Within allowed routes, group-access.ts keeps a
 * run's token to its own group.
 */
export function limitRunTokens(route: RouteOptions): void {
  if (route.config?.runToken === "allow") return;
  const refusal = `a run's token may not call ${String(route.method)} ${route.url}: ${ALLOWED}`;
  const refuseRunTokens: onRequestHookHandler = (request, _reply, done) => {
    // `claims` on routes that read the token's standing in the handler, `principal` on the others.
    if (request.principal?.scope !== undefined || request.claims?.kind === "run") return done(new CairnError("forbidden", refusal));
    done();
  };
  route.onRequest = [...hooksOf(route.onRequest), refuseRunTokens];
}

const ALLOWED = "it may only read its group's pipelines, runs, logs and results and start runs";

function hooksOf<H>(hooks: H | H[] | undefined): H[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** "allow": a run's token may call this route; without it, one is refused (run-token-scope.ts). */
    runToken?: "allow";
  }
}
