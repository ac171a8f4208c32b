import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { sendError } from "./envelope.js";
import type { Principal } from "./principal.js";
import { limitRunTokens } from "./run-token-scope.js";

/**
 * The route check alone, in a bare Fastify: a run's token reaches only routes that allow
 * it, and a route added without a word about run tokens is closed to them.
 */

const session: Principal = { login: "ada", isAdmin: false, tokenId: "s", expiresAt: Date.now() + 60_000 };
const runToken: Principal = { ...session, tokenId: "r", scope: { groupId: "lab", runUuid: "00000000-0000-4000-8000-000000000001" } };

async function testApp() {
  const app = Fastify();
  app.setErrorHandler(sendError);
  app.decorateRequest("principal", null);
  app.decorateRequest("claims", null);
  app.decorateRequest("authError", null);
  app.addHook("onRoute", limitRunTokens);
  // Stands for build-api's token check, which it puts first on every route.
  app.addHook("onRoute", (route) => {
    const onRequest = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [
      async (request) => {
        const who = request.headers["x-who"];
        if (who === "session") request.principal = session;
        if (who === "run") request.principal = runToken;
        if (who === "run-claims") request.claims = { sub: "ada", kind: "run", grp: "lab", run: "r", jti: "j", iat: 1, exp: 2 };
      },
      ...onRequest,
    ];
  });
  let bodiesRead = 0;
  app.get("/pipelines", { config: { runToken: "allow" } }, async () => "pipelines");
  app.get("/run", { config: { runToken: "allow", standingInHandler: true } }, async () => "run");
  app.get("/secrets", async () => "secrets");
  app.post("/new-route", { preValidation: async () => void bodiesRead++ }, async () => "changed");
  await app.ready();
  return { app, bodiesRead: () => bodiesRead };
}

describe("routes a run's token may call", () => {
  it("lets a run's token call a route that allows it, and refuses it everywhere else with 403 before the body is read", async () => {
    const { app, bodiesRead } = await testApp();
    expect((await app.inject({ url: "/pipelines", headers: { "x-who": "run" } })).body).toBe("pipelines");
    expect((await app.inject({ url: "/run", headers: { "x-who": "run-claims" } })).body).toBe("run");
    const secrets = await app.inject({ url: "/secrets", headers: { "x-who": "run" } });
    expect(secrets.statusCode).toBe(403);
    expect(secrets.json()).toMatchObject({ success: false, status: 403, message: expect.stringMatching(/^a run's token may not call GET \/secrets: it may only read its group's pipelines/) });
    const unmarked = await app.inject({ method: "POST", url: "/new-route", headers: { "x-who": "run" }, payload: { a: 1 } });
    expect(unmarked.statusCode).toBe(403);
    expect(bodiesRead()).toBe(0);
    // Known by its claims alone, on a route that reads the token's standing in its handler.
    expect((await app.inject({ url: "/secrets", headers: { "x-who": "run-claims" } })).statusCode).toBe(403);
    // HEAD, which Fastify adds for each GET, is checked like its GET.
    expect((await app.inject({ method: "HEAD", url: "/secrets", headers: { "x-who": "run" } })).statusCode).toBe(403);
    expect((await app.inject({ method: "HEAD", url: "/pipelines", headers: { "x-who": "run" } })).statusCode).toBe(200);
    await app.close();
  });

  it("changes nothing for a session or an anonymous caller", async () => {
    const { app } = await testApp();
    for (const headers of [{ "x-who": "session" }, {}]) {
      expect((await app.inject({ url: "/secrets", headers })).body).toBe("secrets");
      expect((await app.inject({ method: "POST", url: "/new-route", headers, payload: {} })).body).toBe("changed");
    }
    await app.close();
  });
});

