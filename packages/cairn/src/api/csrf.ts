import { createHash, timingSafeEqual } from "node:crypto";
import { parseCookie } from "cookie";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { CairnError } from "../errors.js";
import { SESSION_COOKIE, tokenOf } from "./principal.js";

/**
 * Cross-site request forgery: a browser sends the session cookie with a form another
 * site (or another port of the same host: cookies ignore ports) posts to Cairn. So a
 * request that changes state and is authenticated by that cookie must also carry
 * `X-CSRF-Token` equal to the `cairn_csrf` cookie (double submit): a form cannot set a
 * header, and a script of another origin cannot send one without a CORS preflight,
 * which Cairn never grants. The value is derived from the session's token, so a
 * cookie planted by a sibling site (which cannot read the httpOnly session) does not
 * match. Requests with the token in a header are not affected: a browser never adds
 * those on its own.
 *
 * Nor are requests that no browser sent: every current browser marks its requests with
 * `Sec-Fetch-Site`, and a cross-origin POST with `Origin`, so a cookie-carrying request
 * with neither comes from a program (Kabuto's python client keeps its session in a
 * cookie jar and sends no header: kabuto-api.txt), which no other site can drive.
 */

export const CSRF_COOKIE = "cairn_csrf";
export const CSRF_HEADER = "x-csrf-token";

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Posts that log in or register take no caller, so no cookie authenticates them (a stale
 * cookie must not stop a log-in); what they change is checked by the password they carry.
 */
const NOT_AUTHENTICATED_BY_COOKIE = new Set(["/login", "/register", "/v3/oauth2/tokens"]);

/** The value of the CSRF cookie (and header) for a session token. */
export function csrfTokenFor(sessionToken: string): string {
  return createHash("sha256").update(`cairn-csrf:${sessionToken}`).digest("base64url");
}

/** Set beside the session cookie: readable by the page's scripts (not httpOnly), which copy it into X-CSRF-Token. */
export function setCsrfCookie(reply: FastifyReply, sessionToken: string, expiresAt: number): void {
  void reply.setCookie(CSRF_COOKIE, csrfTokenFor(sessionToken), { path: "/", httpOnly: false, sameSite: "strict", expires: new Date(expiresAt) });
}

export function clearCsrfCookie(reply: FastifyReply): void {
  void reply.clearCookie(CSRF_COOKIE, { path: "/" });
}

/** Refuses (403) state-changing requests authenticated by the session cookie without a matching X-CSRF-Token. */
export function requireCsrfTokenWithCookies(app: FastifyInstance): void {
  app.addHook("onRequest", (request, _reply, done) => {
    if (!STATE_CHANGING.has(request.method) || NOT_AUTHENTICATED_BY_COOKIE.has(request.routeOptions.url ?? "")) return done();
    const sessionToken = cookieSessionOf(request);
    if (sessionToken === undefined || !sentByBrowser(request)) return done();
    const cookies = parseCookie(request.headers.cookie ?? "");
    const sent = request.headers[CSRF_HEADER];
    const expected = csrfTokenFor(sessionToken);
    if (typeof sent !== "string" || sent === "") {
      return done(new CairnError("forbidden", `a ${request.method} authenticated by the session cookie needs the ${CSRF_COOKIE} cookie's value in the X-CSRF-Token header (or send the token in X-Tapis-Token or Authorization: Bearer instead of the cookie)`));
    }
    if (!sameText(sent, expected) || !sameText(cookies[CSRF_COOKIE] ?? "", expected)) {
      return done(new CairnError("forbidden", `the X-CSRF-Token header does not match this session's ${CSRF_COOKIE} cookie; log in again to get a fresh one`));
    }
    done();
  });
}

/**
 * The session cookie's token when it is what authenticates the request: tokenOf takes
 * a header's token first, so the cookie counts only when neither header carries one.
 */
function cookieSessionOf(request: FastifyRequest): string | undefined {
  const token = tokenOf(request);
  if (token === undefined) return undefined;
  const cookie = parseCookie(request.headers.cookie ?? "")[SESSION_COOKIE];
  if (cookie !== token) return undefined;
  const tapis = request.headers["x-tapis-token"];
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
  return tapis === token || bearer === token ? undefined : token;
}

/** Whether a browser sent the request: it adds Sec-Fetch-Site to each, and Origin to each cross-origin POST. */
function sentByBrowser(request: FastifyRequest): boolean {
  return request.headers["sec-fetch-site"] !== undefined || request.headers.origin !== undefined;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
