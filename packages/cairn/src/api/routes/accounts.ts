import { timingSafeEqual } from "node:crypto";
import type { FastifyReply } from "fastify";
import { z } from "zod";
import { CairnError } from "../../errors.js";
import { ID_PATTERN, ID_RULE } from "../../spec/schema.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { envelopeSchema, ok } from "../envelope.js";
import { clearCsrfCookie, setCsrfCookie } from "../csrf.js";
import { principalOf, SESSION_COOKIE } from "../principal.js";

/**
 * Accounts: register, confirm and log in as kabuto-api.txt shows (form or JSON bodies,
 * a cookie after log-in), Tapis' token call, and log-out. The kabuto calls answer in
 * kabuto's own `{status, token}` shape; the Tapis call in the envelope.
 */

const login = z.string().min(1).max(64).regex(ID_PATTERN, ID_RULE);
const password = z.string().min(8, "must be at least 8 characters").max(1024);
const credentials = z.strictObject({ login, password: z.string().min(1).max(1024) });

export function accountRoutes(app: ApiApp, ctx: ApiContext): void {
  const service = ctx.store.service;

  app.post(
    "/register",
    {
      schema: {
        summary: "Register a user; the answer's token confirms the address",
        body: z.strictObject({ login, password, email: z.email() }),
      },
    },
    async (request, reply) => {
      const { login, password, email } = request.body;
      const code = ctx.newConfirmationCode();
      await service
        .createUser({ login, email, passwordHash: await ctx.passwords.hash(password), confirmed: false, confirmationCode: code, isAdmin: false, createdAt: Date.now() })
        .catch((err: unknown) => {
          throw (err as { code?: string }).code === "conflict" ? new CairnError("conflict", `the login '${login}' is taken`) : err;
        });
      return reply.status(201).send({ status: "registered", token: code });
    },
  );

  app.get(
    "/register/confirm/:login/:token",
    { schema: { summary: "Confirm a registration with the token it returned", params: z.strictObject({ login, token: z.string().min(1).max(256) }) } },
    async (request) => {
      const user = await service.getUser(request.params.login);
      // The same answer for an unknown login and a wrong code, so logins cannot be probed.
      if (!user || (!user.confirmed && !sameText(user.confirmationCode ?? "", request.params.token))) {
        throw new CairnError("not_found", "no registration waits for this login and token");
      }
      if (!user.confirmed) await service.confirmUser(user.login);
      return { status: "confirmed", login: user.login };
    },
  );

  app.post("/login", { schema: { summary: "Log in; sets the session cookie and returns the token", body: credentials } }, async (request, reply) => {
    const session = await logIn(ctx, request.body.login, request.body.password);
    setSessionCookie(reply, session);
    return { status: "logged_in", token: session.token, expires_at: new Date(session.expiresAt).toISOString() };
  });

  app.post("/logout", { schema: { summary: "Revoke the token used and clear the session cookie", response: { 200: envelopeSchema(z.null()) } } }, async (request, reply) => {
    const principal = principalOf(request);
    await ctx.tokens.revoke(principal);
    void reply.clearCookie(SESSION_COOKIE, { path: "/" });
    clearCsrfCookie(reply);
    return ok(null, "Logged out");
  });

  app.post(
    "/v3/oauth2/tokens",
    {
      schema: {
        summary: "Tapis' token call: a password grant returns result.access_token.access_token",
        body: z.strictObject({ username: login, password: z.string().min(1).max(1024), grant_type: z.literal("password") }),
        response: {
          201: envelopeSchema(
            z.object({ access_token: z.object({ access_token: z.string(), expires_at: z.string(), expires_in: z.number().int(), jti: z.string().nullable() }) }),
          ),
        },
      },
    },
    async (request, reply) => {
      const session = await logIn(ctx, request.body.username, request.body.password);
      setSessionCookie(reply, session);
      const expiresIn = Math.max(0, Math.round((session.expiresAt - Date.now()) / 1000));
      return reply.status(201).send(
        ok({ access_token: { access_token: session.token, expires_at: new Date(session.expiresAt).toISOString(), expires_in: expiresIn, jti: null } }, "Token created", 201),
      );
    },
  );
}

async function logIn(ctx: ApiContext, login: string, password: string) {
  const user = await ctx.store.service.getUser(login);
  // Hash even for an unknown login, so the answer's timing does not tell which logins exist.
  const valid = user ? await ctx.passwords.verify(password, user.passwordHash).catch(() => false) : await ctx.passwords.hash(password).then(() => false);
  if (!user || !valid) throw new CairnError("unauthenticated", "wrong login or password");
  if (!user.confirmed) throw new CairnError("forbidden", `confirm the registration of '${login}' first (GET /register/confirm/${login}/TOKEN)`);
  return ctx.tokens.issueSession(user.login);
}

function setSessionCookie(reply: FastifyReply, session: { token: string; expiresAt: number }): void {
  void reply.setCookie(SESSION_COOKIE, session.token, { path: "/", httpOnly: true, sameSite: "lax", expires: new Date(session.expiresAt) });
  setCsrfCookie(reply, session.token, session.expiresAt);
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
