import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { clientAddressKey } from "../../auth/client-address.js";
import { sameConfirmationCode } from "../../auth/confirmation-code.js";
import { LoginThrottle } from "../../auth/login-throttle.js";
import { PasswordWorkQueue } from "../../auth/password-work-queue.js";
import { RegistrationLimit } from "../../auth/registration-limit.js";
import { CairnError, RateLimitedError, ValidationError } from "../../errors.js";
import { ID_PATTERN, ID_RULE } from "../../spec/schema.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { envelopeSchema, ok } from "../envelope.js";
import { clearCsrfCookie, setCsrfCookie } from "../csrf.js";
import { principalOf, SESSION_COOKIE } from "../principal.js";

/**
 * Accounts: register, confirm and log in as kabuto-api.txt shows (form or JSON bodies,
 * a cookie after log-in), Tapis' token call, and log-out. The kabuto calls answer in
 * kabuto's own `{status, token}` shape; the Tapis call in the envelope.
 *
 * Limits (issue 21): failed log-ins lock the account and the client address for a time
 * that doubles with each failure (auth/login-throttle.ts); password hashing runs a few at
 * a time, suspect attempts behind the others (auth/password-work-queue.ts); registrations
 * are counted per address and hour (auth/registration-limit.ts). All three live in this
 * process's memory. Logins and emails are unique whatever their case (migration 0010):
 * `Alice` cannot register beside `alice`, and either spelling logs in to the one account.
 */

const login = z.string().min(1).max(64).regex(ID_PATTERN, ID_RULE);
/** The shortest allowed is a setting, checked in the handler (passwordTooShort). */
const password = z.string().min(1).max(1024);
const credentials = z.strictObject({ login, password: z.string().min(1).max(1024) });

/** What limits the account routes, one set per API instance. */
interface AccountLimits {
  throttle: LoginThrottle;
  hashing: PasswordWorkQueue;
  registrations: RegistrationLimit;
  /** How long a 429 is held before it is sent (CAIRN_LOGIN_REFUSAL_DELAY). */
  refusalDelayMs: number;
}

export function accountRoutes(app: ApiApp, ctx: ApiContext): void {
  const service = ctx.store.service;
  const limits: AccountLimits = {
    throttle: new LoginThrottle({
      failuresPerAccount: ctx.config.loginFailuresPerAccount,
      failuresPerAddress: ctx.config.loginFailuresPerAddress,
      maxLockMs: ctx.config.loginLockMaxMs,
    }),
    hashing: new PasswordWorkQueue(),
    registrations: new RegistrationLimit(ctx.config.registrationsPerHour),
    refusalDelayMs: ctx.config.loginRefusalDelayMs,
  };

  app.post(
    "/register",
    {
      schema: {
        summary: "Register a user; the answer's token confirms the address. With a server admin's token, the account is made confirmed",
        body: z.strictObject({ login, password, email: z.email() }),
      },
    },
    async (request, reply) => {
      const { login, password, email } = request.body;
      const short = passwordTooShort(password, ctx.config.minPasswordLength);
      if (short) throw short;
      const byAdmin = registeringAdmin(request, ctx.config.registration);
      if (!byAdmin) await limitedBy(limits, reply, () => limits.registrations.take(clientAddressKey(request.ip)));
      // Behind waiting log-ins: a registration may wait, a person logging in should not.
      const passwordHash = await limitedBy(limits, reply, () => limits.hashing.run(false, () => ctx.passwords.hash(password, { background: true })));
      const code = byAdmin ? null : ctx.newConfirmationCode();
      await service
        .createUser({ login, email, passwordHash, confirmed: byAdmin, confirmationCode: code, isAdmin: false, createdAt: Date.now() })
        .catch(async (err: unknown) => {
          throw (err as { code?: string }).code === "conflict" ? await registrationConflict(ctx, login, email, err) : err;
        });
      return reply.status(201).send(byAdmin ? { status: "confirmed", login } : { status: "registered", token: code });
    },
  );

  app.get(
    "/register/confirm/:login/:token",
    { schema: { summary: "Confirm a registration with the token it returned", params: z.strictObject({ login, token: z.string().min(1).max(256) }) } },
    async (request) => {
      const user = await service.getUser(request.params.login);
      const waiting = user && !user.confirmed ? (user.confirmationCode ?? undefined) : undefined;
      // One answer for an unknown login, a wrong code and a registration already confirmed,
      // so this route cannot tell which logins exist; the code is compared in constant time.
      if (!user || !sameConfirmationCode(waiting, request.params.token)) {
        throw new CairnError("not_found", "no registration waits for this login and token (unknown login, wrong token, or already confirmed)");
      }
      await service.confirmUser(user.login);
      return { status: "confirmed", login: user.login };
    },
  );

  app.post("/login", { schema: { summary: "Log in; sets the session cookie and returns the token", body: credentials } }, async (request, reply) => {
    const session = await logIn(ctx, limits, request, reply, request.body.login, request.body.password);
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
      const session = await logIn(ctx, limits, request, reply, request.body.username, request.body.password);
      setSessionCookie(reply, session);
      const expiresIn = Math.max(0, Math.round((session.expiresAt - Date.now()) / 1000));
      return reply.status(201).send(
        ok({ access_token: { access_token: session.token, expires_at: new Date(session.expiresAt).toISOString(), expires_in: expiresIn, jti: null } }, "Token created", 201),
      );
    },
  );
}

/**
 * Checks a password under the limits: a locked account or address is refused before any
 * hashing, the hash waits its turn in the work queue, and the verdict is recorded.
 */
async function logIn(ctx: ApiContext, limits: AccountLimits, request: FastifyRequest, reply: FastifyReply, login: string, password: string) {
  const attempt = await limitedBy(limits, reply, () => limits.throttle.begin(login, clientAddressKey(request.ip)));
  try {
    const user = await ctx.store.service.getUser(login);
    const valid = await limitedBy(limits, reply, () =>
      limits.hashing.run(attempt.urgent, async () => {
        // A lock may have begun while this attempt waited; no hash for it then.
        attempt.recheck();
        // Hash even for an unknown login, so the answer's timing does not tell which logins exist.
        // Suspect attempts hash at the lowest CPU priority, so they take only what real users leave.
        const background = { background: !attempt.urgent };
        // scrypt refusing a stored hash's cost is no proof of the password: the log says why it was refused.
        const refused = (err: unknown) => (request.log.error({ err, login }, "a stored password hash could not be checked"), false);
        return user ? ctx.passwords.verify(password, user.passwordHash, background).catch(refused) : ctx.passwords.hash(password, background).then(() => false);
      }),
    );
    if (!user || !valid) {
      attempt.failed();
      throw new CairnError("unauthenticated", "wrong login or password");
    }
    attempt.succeeded();
    if (!user.confirmed) throw new CairnError("forbidden", `confirm the registration of '${user.login}' first (GET /register/confirm/${user.login}/TOKEN)`);
    return await ctx.tokens.issueSession(user.login);
  } finally {
    attempt.end();
  }
}

/** The 400 for a password under CAIRN_MIN_PASSWORD_LENGTH characters, naming the setting. */
export function passwordTooShort(password: string, minLength: number): ValidationError | undefined {
  // Characters as a person counts them (code points), not UTF-16 units.
  if ([...password].length >= minLength) return undefined;
  // Worded as the schema's own refusals are: "the body is invalid: - body.password: ...".
  return new ValidationError("the body", [{ path: "body.password", message: `must be at least ${minLength} characters (CAIRN_MIN_PASSWORD_LENGTH)` }]);
}

/**
 * Whether a server admin is registering someone; throws when `mode` lets no one else.
 * A run's token is not the admin: it acts for a pipeline, and makes no accounts.
 */
function registeringAdmin(request: FastifyRequest, mode: ApiContext["config"]["registration"]): boolean {
  const caller = request.principal;
  const byAdmin = caller !== null && caller.isAdmin && caller.scope === undefined;
  if (mode === "closed") throw new CairnError("forbidden", "registration is closed on this server: it makes no new accounts");
  if (mode === "admin" && !byAdmin) {
    if (request.authError) throw request.authError;
    throw new CairnError("forbidden", "on this server only a server admin registers users: POST /register with an admin's token");
  }
  return byAdmin;
}

/**
 * The 409 of a registration, naming the field that is taken. Saying so tells the caller
 * that the login, or the email, has an account: a registration form cannot do without
 * it for the login, and for the email the per-address limit on registrations keeps such
 * questions few.
 */
async function registrationConflict(ctx: ApiContext, login: string, email: string, cause: unknown): Promise<CairnError> {
  const loginTaken = (await ctx.store.service.getUser(login)) !== undefined;
  const [path, message] = loginTaken
    ? ["body.login", `the login '${login}' is taken (logins are the same whatever their case)`]
    : ["body.email", `the email '${email}' already has an account (one account per email)`];
  return new CairnError("conflict", message, { cause, details: { issues: [{ path, message }] } });
}

/**
 * Runs `limited`; a RateLimitedError it throws gets its `Retry-After` header, and is held
 * `refusalDelayMs` before it is answered. Holding costs a timer, where answering at once
 * let 100 clients that ignore Retry-After send ~3,000 refused log-ins a second, which
 * kept the event loop busy and slowed everyone's log-in by seconds.
 */
async function limitedBy<T>(limits: AccountLimits, reply: FastifyReply, limited: () => T | Promise<T>): Promise<T> {
  try {
    return await limited();
  } catch (err) {
    if (err instanceof RateLimitedError) {
      void reply.header("retry-after", String(err.retryAfterSeconds));
      if (limits.refusalDelayMs > 0) await sleep(limits.refusalDelayMs);
    }
    throw err;
  }
}

function setSessionCookie(reply: FastifyReply, session: { token: string; expiresAt: number }): void {
  void reply.setCookie(SESSION_COOKIE, session.token, { path: "/", httpOnly: true, sameSite: "lax", expires: new Date(session.expiresAt) });
  setCsrfCookie(reply, session.token, session.expiresAt);
}
