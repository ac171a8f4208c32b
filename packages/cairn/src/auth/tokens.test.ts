import { describe, expect, it } from "vitest";
import { generateDataKey } from "../secrets/key-ring.js";
import { tokenProblemOf as problemOf } from "../../../../test/support/token-problem.js";
import { issueToken, verifyToken } from "./tokens.js";

const key = generateDataKey();
const claims = { sub: "ada", kind: "session" as const, jti: "t-1" };

describe("tokens", () => {
  it("round-trips the claims with issue and expiry times", () => {
    const now = Date.UTC(2026, 0, 1);
    const token = issueToken(key, { ...claims, kind: "run", grp: "lab", run: "r1" }, 60, now);
    expect(verifyToken(key, token, now + 59_000)).toEqual({ ...claims, kind: "run", grp: "lab", run: "r1", iat: now / 1000, exp: now / 1000 + 60 });
  });

  it("refuses an expired token", () => {
    const token = issueToken(key, claims, 60, 0);
    expect(problemOf(() => verifyToken(key, token, 60_000))).toBe("expired");
  });

  it("refuses a token signed with another key or with a changed payload", () => {
    const token = issueToken(key, claims, 60);
    expect(problemOf(() => verifyToken(generateDataKey(), token))).toBe("bad_signature");
    const [header, , signature] = token.split(".");
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: "root", iat: 0, exp: 9e9 })).toString("base64url");
    expect(problemOf(() => verifyToken(key, `${header}.${forged}.${signature}`))).toBe("bad_signature");
  });

  it("refuses malformed tokens", () => {
    for (const token of ["", "abc", "a.b", "a.b.c.d"]) expect(problemOf(() => verifyToken(key, token))).toBeDefined();
  });
});
