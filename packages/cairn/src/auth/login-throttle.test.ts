import { describe, expect, it } from "vitest";
import { LoginThrottle } from "./login-throttle.js";

function throttle(limits: Partial<ConstructorParameters<typeof LoginThrottle>[0]> = {}) {
  const clock = { now: 1_000_000 };
  const t = new LoginThrottle({ failuresPerAccount: 3, failuresPerAddress: 10, maxLockMs: 8000, ...limits }, () => clock.now);
  return { t, clock };
}

function fail(t: LoginThrottle, account: string, address = "10.0.0.1"): void {
  t.begin(account, address).failed();
}

describe("LoginThrottle", () => {
  it("locks an account at its limit for 1 s, doubling with each failure up to the cap", () => {
    const { t, clock } = throttle();
    for (let i = 0; i < 3; i++) fail(t, "ada", `10.0.0.${i}`);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      try {
        t.begin("ada", "10.0.1.1");
      } catch (err) {
        waits.push((err as { retryAfterSeconds: number }).retryAfterSeconds);
      }
      clock.now += 60_000;
      fail(t, "ada", `10.0.2.${i}`);
    }
    expect(waits).toEqual([1, 2, 4, 8, 8, 8]);
  });

  it("counts any case of a login as the one account", () => {
    const { t } = throttle();
    fail(t, "Ada");
    fail(t, "ADA");
    fail(t, "ada");
    expect(() => t.begin("aDa", "10.9.9.9")).toThrow(/for this account/);
  });

  it("marks an attempt urgent only when nothing about its account or address is suspect", () => {
    const { t } = throttle();
    const first = t.begin("ada", "10.0.0.1");
    expect(first.urgent).toBe(true);
    // Another attempt from the same address, or on the same account, while the first runs.
    expect(t.begin("bob", "10.0.0.1").urgent).toBe(false);
    expect(t.begin("ada", "10.0.0.2").urgent).toBe(false);
    first.failed();
    expect(t.begin("carol", "10.0.0.3").urgent).toBe(true);
  });

  it("refuses a fifth attempt in flight from one address, and counts an ended one out", () => {
    const { t } = throttle({ maxInFlightPerAddress: 4 });
    const attempts = Array.from({ length: 4 }, (_, i) => t.begin(`user-${i}`, "10.0.0.1"));
    expect(() => t.begin("user-5", "10.0.0.1")).toThrow(/at once from this address/);
    attempts[0]!.end();
    attempts[0]!.end();
    expect(() => t.begin("user-5", "10.0.0.1")).not.toThrow();
    expect(() => t.begin("user-6", "10.0.0.1")).toThrow(/at once/);
  });

  it("recheck refuses an attempt whose account was locked while it waited", () => {
    const { t } = throttle();
    const waiting = t.begin("ada", "10.0.0.9");
    for (let i = 0; i < 3; i++) fail(t, "ada", `10.0.0.${i}`);
    expect(() => waiting.recheck()).toThrow(/try again in 1 s/);
  });

  it("a success forgets the account's failures but not the address's", () => {
    const { t } = throttle({ failuresPerAddress: 4 });
    fail(t, "ada");
    fail(t, "ada");
    t.begin("ada", "10.0.0.1").succeeded();
    fail(t, "ada");
    fail(t, "ada");
    expect(() => t.begin("ada", "10.0.0.2")).not.toThrow();
    // The address failed 4 times: locked, whoever logs in from it.
    expect(() => t.begin("zed", "10.0.0.1")).toThrow(/from this address/);
  });
});
