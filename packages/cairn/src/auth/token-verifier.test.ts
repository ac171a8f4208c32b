import { describe, expect, it } from "vitest";
import { generateDataKey } from "../secrets/key-ring.js";
import { TokenVerifier } from "./token-verifier.js";
import { tokenProblemOf as problemOf } from "../../../../test/support/token-problem.js";
import { issueToken } from "./tokens.js";

const key = generateDataKey();
const claims = { sub: "ada", kind: "session" as const, jti: "t-1" };
const now = Date.UTC(2026, 0, 1);

describe("TokenVerifier", () => {
  it("gives the claims of a good token, the same on every call", () => {
    const verifier = new TokenVerifier(key);
    const token = issueToken(key, claims, 60, now);
    const first = verifier.verify(token, now);
    expect(first).toMatchObject({ ...claims, exp: now / 1000 + 60 });
    expect(verifier.verify(token, now + 1000)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it("still refuses a remembered token once it has expired", () => {
    const verifier = new TokenVerifier(key);
    const token = issueToken(key, claims, 60, now);
    verifier.verify(token, now);
    expect(problemOf(() => verifier.verify(token, now + 60_000))).toBe("expired");
    expect(problemOf(() => verifier.verify(token, now + 61_000))).toBe("expired");
  });

  it("refuses a token signed with another key, or changed, every time", () => {
    const verifier = new TokenVerifier(key);
    const foreign = issueToken(generateDataKey(), claims, 60, now);
    expect(problemOf(() => verifier.verify(foreign, now))).toBe("bad_signature");
    expect(problemOf(() => verifier.verify(foreign, now))).toBe("bad_signature");
    const good = issueToken(key, claims, 60, now);
    verifier.verify(good, now);
    const [header, , signature] = good.split(".");
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: "root", iat: 0, exp: 9e9 })).toString("base64url")}.${signature}`;
    expect(problemOf(() => verifier.verify(forged, now))).toBe("bad_signature");
  });

  it("forgets the oldest token when full, and checks it again when it comes back", () => {
    const verifier = new TokenVerifier(key, 2);
    const tokens = ["a", "b", "c"].map((jti) => issueToken(key, { ...claims, jti }, 60, now));
    const first = verifier.verify(tokens[0]!, now);
    verifier.verify(tokens[1]!, now);
    verifier.verify(tokens[2]!, now);
    // A fresh object: its signature was checked again.
    const again = verifier.verify(tokens[0]!, now);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
  });
});
