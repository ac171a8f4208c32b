import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { loadConfig, type CairnConfig } from "../../config.js";
import type { DataKey } from "../../secrets/key-ring.js";
import { createStore } from "../../store/create-store.js";
import type { Store } from "../../store/store.js";
import type { ApiApp, ApiContext, PasswordHasher } from "../api-context.js";
import { buildApi } from "../build-api.js";
import { SignedTokenService } from "../token-service.js";

/**
 * The account routes' limits (issue 21, findings 6 and 9), in process on a real SQLite
 * store. Password hashing is a counting fake here, so a test can tell that a refused
 * attempt hashed nothing; test/api/login-under-attack.int.test.ts runs the real scrypt
 * over HTTP.
 */

const PASSWORD = "right-password-1";

let dir: string;
let store: Store;
let app: ApiApp;
let ctx: ApiContext;
/** Every hash and verify the routes asked for. */
let hashed: number;

const fakeHasher: PasswordHasher = {
  async hash(password) {
    hashed++;
    return `fake$${password}`;
  },
  async verify(password, hash) {
    hashed++;
    return hash === `fake$${password}`;
  },
};

async function start(overrides: Partial<CairnConfig> = {}): Promise<void> {
  // Refusals answered at once unless a test says otherwise: the delay has its own test.
  const config = loadConfig({ dataDir: dir, loginRefusalDelayMs: 0, ...overrides }, {});
  store = await createStore({ sqlitePath: join(dir, "cairn.db") });
  ctx = {
    config,
    store,
    tokens: new SignedTokenService(randomBytes(32) as DataKey, store, 3600),
    passwords: fakeHasher,
    newConfirmationCode: () => randomBytes(16).toString("base64url"),
    // Not reached by the account routes.
    engine: undefined as never,
    sealer: undefined as never,
    systems: undefined as never,
    actors: undefined as never,
  };
  app = await buildApi(ctx);
}

async function addUser(login: string, options: { isAdmin?: boolean; confirmed?: boolean; email?: string } = {}): Promise<void> {
  await store.service.createUser({
    login,
    email: options.email ?? `${login}@example.org`,
    passwordHash: `fake$${PASSWORD}`,
    confirmed: options.confirmed ?? true,
    confirmationCode: options.confirmed === false ? "the-code" : null,
    isAdmin: options.isAdmin ?? false,
    createdAt: Date.now(),
  });
}

function logIn(login: string, password: string, from = "10.0.0.1") {
  return app.inject({ method: "POST", url: "/login", payload: { login, password }, remoteAddress: from });
}

function register(body: { login: string; email: string; password?: string }, from = "10.0.0.1", headers: Record<string, string> = {}) {
  return app.inject({ method: "POST", url: "/register", payload: { password: PASSWORD, ...body }, remoteAddress: from, headers });
}

/** Moves the clock the limits read (Date only: Fastify's own timers keep running). */
function advance(ms: number): void {
  vi.setSystemTime(Date.now() + ms);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cairn-accounts-"));
  hashed = 0;
  vi.useFakeTimers({ toFake: ["Date"] });
});
afterEach(async () => {
  vi.useRealTimers();
  await app?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("log-in failures", () => {
  it("lock the account after 5 with 429 and Retry-After, doubling, the right password included, and hash nothing while locked", async () => {
    await start();
    await addUser("ada");
    for (let i = 0; i < 5; i++) expect((await logIn("ada", "wrong-password")).statusCode).toBe(401);
    const locked = await logIn("ada", "wrong-password");
    expect(locked.statusCode).toBe(429);
    expect(locked.headers["retry-after"]).toBe("1");
    expect(locked.json()).toMatchObject({ success: false, status: 429, result: { code: "rate_limited" } });
    expect(locked.json().message).toContain("too many failed log-ins for this account");
    const hashesBefore = hashed;
    for (let i = 0; i < 20; i++) expect((await logIn("ada", i === 19 ? PASSWORD : "wrong-password")).statusCode).toBe(429);
    expect(hashed).toBe(hashesBefore);

    // Once the lock ends, one more failure locks for twice as long, then 4 s.
    advance(1001);
    expect((await logIn("ada", "wrong-password")).statusCode).toBe(401);
    expect((await logIn("ada", "wrong-password")).headers["retry-after"]).toBe("2");
    advance(2001);
    expect((await logIn("ada", "wrong-password")).statusCode).toBe(401);
    expect((await logIn("ada", PASSWORD)).headers["retry-after"]).toBe("4");
  });

  it("are forgotten on a success: the next mistakes start from zero", async () => {
    await start();
    await addUser("ada");
    for (let i = 0; i < 4; i++) expect((await logIn("ada", "wrong-password")).statusCode).toBe(401);
    expect((await logIn("ada", PASSWORD)).statusCode).toBe(200);
    for (let i = 0; i < 4; i++) expect((await logIn("ada", "wrong-password")).statusCode).toBe(401);
    expect((await logIn("ada", PASSWORD)).statusCode).toBe(200);
    // And on the 5th in a row, the lock.
    for (let i = 0; i < 5; i++) expect((await logIn("ada", "wrong-password")).statusCode).toBe(401);
    expect((await logIn("ada", PASSWORD)).statusCode).toBe(429);
  });

  it("are forgotten 15 minutes after the last one", async () => {
    await start();
    await addUser("ada");
    for (let i = 0; i < 4; i++) expect((await logIn("ada", "wrong-password")).statusCode).toBe(401);
    advance(15 * 60_000 + 1);
    for (let i = 0; i < 4; i++) expect((await logIn("ada", "wrong-password")).statusCode).toBe(401);
    expect((await logIn("ada", PASSWORD)).statusCode).toBe(200);
  });

  it("lock an unknown login exactly like a real one, and either case of a login counts for the one account", async () => {
    await start();
    await addUser("ada");
    for (let i = 0; i < 5; i++) {
      expect((await logIn("nobody", "wrong-password")).statusCode).toBe(401);
      expect((await logIn(i % 2 === 0 ? "ADA" : "Ada", "wrong-password")).statusCode).toBe(401);
    }
    const unknown = await logIn("nobody", "wrong-password");
    const real = await logIn("ada", "wrong-password");
    expect([unknown.statusCode, unknown.headers["retry-after"], withoutRequestId(unknown.json())]).toEqual([real.statusCode, real.headers["retry-after"], withoutRequestId(real.json())]);
    expect(real.statusCode).toBe(429);
  });

  it("lock the client address after 20 across accounts, while other addresses still log in", async () => {
    await start();
    await addUser("ada");
    for (let i = 0; i < 20; i++) expect((await logIn(`guess-${i}`, "wrong-password", "203.0.113.7")).statusCode).toBe(401);
    const locked = await logIn("ada", PASSWORD, "203.0.113.7");
    expect(locked.statusCode).toBe(429);
    expect(locked.headers["retry-after"]).toBe("1");
    expect(locked.json().message).toContain("from this address");
    expect((await logIn("ada", PASSWORD, "198.51.100.1")).statusCode).toBe(200);
    // An IPv6 host is one address for its whole /64.
    for (let i = 0; i < 20; i++) expect((await logIn(`guess-${i}`, "wrong-password", `2001:db8:1:2::${i + 1}`)).statusCode).toBe(401);
    expect((await logIn("ada", PASSWORD, "2001:db8:1:2:ffff::9")).statusCode).toBe(429);
  });

  it("follow CAIRN_LOGIN_FAILURES_PER_ACCOUNT and CAIRN_LOGIN_LOCK_MAX", async () => {
    await start({ loginFailuresPerAccount: 2, loginLockMaxMs: 3000 });
    await addUser("ada");
    for (let i = 0; i < 2; i++) expect((await logIn("ada", "wrong-password")).statusCode).toBe(401);
    expect((await logIn("ada", "wrong-password")).headers["retry-after"]).toBe("1");
    for (const wait of [2, 3, 3]) {
      advance(60_000);
      expect((await logIn("ada", "wrong-password")).statusCode).toBe(401);
      expect((await logIn("ada", "wrong-password")).headers["retry-after"]).toBe(String(wait));
    }
  });

  it("are answered after CAIRN_LOGIN_REFUSAL_DELAY when refused, so a client ignoring Retry-After cannot ask at full speed", async () => {
    await start({ loginRefusalDelayMs: 300, loginFailuresPerAccount: 1 });
    expect((await logIn("ada", "wrong-password")).statusCode).toBe(401);
    const started = performance.now();
    expect((await logIn("ada", "wrong-password")).statusCode).toBe(429);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("apply to Tapis' token call as to /login", async () => {
    await start();
    await addUser("ada");
    const token = (password: string) =>
      app.inject({ method: "POST", url: "/v3/oauth2/tokens", payload: { username: "ada", password, grant_type: "password" }, remoteAddress: "10.0.0.2" });
    for (let i = 0; i < 5; i++) expect((await token("wrong-password")).statusCode).toBe(401);
    const locked = await token(PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(locked.headers["retry-after"]).toBe("1");
  });
});

describe("logins regardless of case", () => {
  it("refuse a new login that differs from one taken only by case, naming the login", async () => {
    await start();
    expect((await register({ login: "alice", email: "alice@example.org" })).statusCode).toBe(201);
    const twin = await register({ login: "Alice", email: "other@example.org" });
    expect(twin.statusCode).toBe(409);
    expect(twin.json().message).toBe("the login 'Alice' is taken (logins are the same whatever their case)");
    expect(twin.json().result.issues).toEqual([{ path: "body.login", message: twin.json().message }]);
  });

  it("log in to the one account by either case, with a token for the login it registered with", async () => {
    await start();
    await addUser("alice");
    const upper = await logIn("ALICE", PASSWORD);
    expect(upper.statusCode).toBe(200);
    const principal = await ctx.tokens.authenticate(upper.json().token);
    expect(principal.login).toBe("alice");
  });

  it("confirm by either case", async () => {
    await start();
    const reg = await register({ login: "alice", email: "alice@example.org" });
    const confirm = await app.inject({ method: "GET", url: `/register/confirm/ALICE/${reg.json().token}` });
    expect(confirm.statusCode).toBe(200);
    expect(confirm.json()).toEqual({ status: "confirmed", login: "alice" });
  });
});

describe("registration", () => {
  it("refuses a password under 8 characters by default with 400 naming CAIRN_MIN_PASSWORD_LENGTH, hashing nothing", async () => {
    await start();
    const short = await register({ login: "me", email: "me@example.org", password: "SecreT" });
    expect(short.statusCode).toBe(400);
    expect(short.json().message).toBe("the body is invalid:\n  - body.password: must be at least 8 characters (CAIRN_MIN_PASSWORD_LENGTH)");
    expect(short.json().result.issues).toEqual([{ path: "body.password", message: "must be at least 8 characters (CAIRN_MIN_PASSWORD_LENGTH)" }]);
    expect(hashed).toBe(0);
    expect(await store.service.getUser("me")).toBeUndefined();
  });

  it("accepts Kabuto's 6-character 'SecreT' with CAIRN_MIN_PASSWORD_LENGTH=6, and refuses 5", async () => {
    await start({ minPasswordLength: 6 });
    expect((await register({ login: "me", email: "me@example.org", password: "SecreT" })).statusCode).toBe(201);
    const five = await register({ login: "me2", email: "me2@example.org", password: "Secre" });
    expect(five.statusCode).toBe(400);
    expect(five.json().message).toContain("at least 6 characters (CAIRN_MIN_PASSWORD_LENGTH)");
  });

  it("allows one account per email, whatever its case, and the 409 names the email", async () => {
    await start();
    expect((await register({ login: "ada", email: "Ada@Example.org" })).statusCode).toBe(201);
    const again = await register({ login: "ada2", email: "ada@EXAMPLE.org" });
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toBe("the email 'ada@EXAMPLE.org' already has an account (one account per email)");
    expect(again.json().result.issues[0].path).toBe("body.email");
    expect(await store.service.getUser("ada2")).toBeUndefined();
  });

  it("allows CAIRN_REGISTRATIONS_PER_HOUR attempts per address, 409s included, then 429 with Retry-After", async () => {
    await start({ registrationsPerHour: 3 });
    expect((await register({ login: "u1", email: "u1@example.org" })).statusCode).toBe(201);
    expect((await register({ login: "u1", email: "u1b@example.org" })).statusCode).toBe(409);
    advance(30 * 60_000);
    expect((await register({ login: "u2", email: "u2@example.org" })).statusCode).toBe(201);
    const refused = await register({ login: "u3", email: "u3@example.org" });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers["retry-after"]).toBe(String(30 * 60));
    expect(refused.json().message).toContain("too many registrations from this address (at most 3 an hour)");
    expect((await register({ login: "u3", email: "u3@example.org" }, "10.9.9.9")).statusCode).toBe(201);
    // An hour after the first, one attempt is free again.
    advance(30 * 60_000 + 1000);
    expect((await register({ login: "u4", email: "u4@example.org" })).statusCode).toBe(201);
  });

  it("accepts at most 20 an hour from one address by default: 100 with one email are not all accepted", async () => {
    await start();
    const answers: number[] = [];
    for (let i = 0; i < 100; i++) answers.push((await register({ login: `same-${i}`, email: "same@example.org" })).statusCode);
    expect(answers.filter((s) => s === 201)).toHaveLength(1);
    expect(answers.filter((s) => s === 409)).toHaveLength(19);
    expect(answers.filter((s) => s === 429)).toHaveLength(80);
  });

  it("CAIRN_REGISTRATION=closed refuses everyone with 403, admins included", async () => {
    await start({ registration: "closed" });
    await addUser("root", { isAdmin: true });
    const token = (await ctx.tokens.issueSession("root")).token;
    for (const headers of [{}, { "x-tapis-token": token }] as Record<string, string>[]) {
      const answer = await register({ login: "newbie", email: "newbie@example.org" }, "10.0.0.1", headers);
      expect(answer.statusCode).toBe(403);
      expect(answer.json().message).toBe("registration is closed on this server: it makes no new accounts");
    }
  });

  it("CAIRN_REGISTRATION=admin: only a server admin's token registers, and the account is confirmed at once", async () => {
    await start({ registration: "admin", registrationsPerHour: 1 });
    await addUser("root", { isAdmin: true });
    await addUser("pat");
    const anonymous = await register({ login: "newbie", email: "newbie@example.org" });
    expect(anonymous.statusCode).toBe(403);
    expect(anonymous.json().message).toBe("on this server only a server admin registers users: POST /register with an admin's token");
    const byUser = await register({ login: "newbie", email: "newbie@example.org" }, "10.0.0.1", { "x-tapis-token": (await ctx.tokens.issueSession("pat")).token });
    expect(byUser.statusCode).toBe(403);
    expect((await register({ login: "newbie", email: "newbie@example.org" }, "10.0.0.1", { "x-tapis-token": "not.a.token" })).statusCode).toBe(401);

    const adminToken = (await ctx.tokens.issueSession("root")).token;
    // Not counted against the address's hourly registrations (1 here).
    for (const name of ["newbie", "second"]) {
      const made = await register({ login: name, email: `${name}@example.org` }, "10.0.0.1", { "x-tapis-token": adminToken });
      expect(made.statusCode).toBe(201);
      expect(made.json()).toEqual({ status: "confirmed", login: name });
    }
    expect((await logIn("newbie", PASSWORD)).statusCode).toBe(200);
  });

  it("CAIRN_REGISTRATION=open (the default) registers anyone, unconfirmed, as kabuto does", async () => {
    await start();
    expect(ctx.config.registration).toBe("open");
    const reg = await register({ login: "kab", email: "kab@example.org" });
    expect(reg.statusCode).toBe(201);
    expect(reg.json()).toEqual({ status: "registered", token: expect.any(String) });
    expect((await logIn("kab", PASSWORD)).statusCode).toBe(403);
  });
});

describe("confirmation", () => {
  it("answers the same for an unknown login, a confirmed one and a wrong code", async () => {
    await start();
    await addUser("done");
    await addUser("waiting", { confirmed: false });
    const answers = await Promise.all(
      ["/register/confirm/nobody/the-code", "/register/confirm/done/the-code", "/register/confirm/done/anything", "/register/confirm/waiting/wrong-code"].map((url) =>
        app.inject({ method: "GET", url }),
      ),
    );
    const seen = answers.map((a) => [a.statusCode, withoutRequestId(a.json())]);
    expect(new Set(seen.map((s) => JSON.stringify(s))).size).toBe(1);
    expect(seen[0]![0]).toBe(404);
    const right = await app.inject({ method: "GET", url: "/register/confirm/waiting/the-code" });
    expect(right.json()).toEqual({ status: "confirmed", login: "waiting" });
    // Once confirmed, the same link answers as for anyone else.
    const again = await app.inject({ method: "GET", url: "/register/confirm/waiting/the-code" });
    expect([again.statusCode, withoutRequestId(again.json())]).toEqual(seen[0]);
  });
});

/** An answer without its request id, which is each request's own (api/request-logging.ts). */
function withoutRequestId(answer: Record<string, unknown>): Record<string, unknown> {
  const { request_id: _id, ...rest } = answer;
  return rest;
}
