import { scrypt } from "node:crypto";
import { getPriority } from "node:os";
import { describe, expect, it } from "vitest";
import { backgroundHelperPid, scryptInBackground } from "./background-scrypt.js";

const options = { N: 1024, r: 8, p: 1 };

function scryptHere(password: string, salt: Buffer, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, length, options, (err, key) => (err ? reject(err) : resolve(key))));
}

describe("scrypt in the background", () => {
  it("derives in a helper process at nice 19 the same key as here", async () => {
    const derive = scryptInBackground(() => Promise.reject(new Error("derived here, not in the helper")));
    const salt = Buffer.from("0123456789abcdef");
    const key = await derive("pässword", salt, 32, options);
    expect(key.equals(await scryptHere("pässword", salt, 32))).toBe(true);
    const pid = backgroundHelperPid();
    expect(pid).toBeDefined();
    expect(getPriority(pid)).toBe(19);
  });

  it("derives here when the helper is gone", async () => {
    const derive = scryptInBackground(async () => Buffer.from("here"));
    await derive("warm-up", Buffer.from("salt"), 8, options);
    const pid = backgroundHelperPid()!;
    process.kill(pid, "SIGKILL");
    // Until its exit is seen: a fixed 200 ms was too short on a loaded machine.
    for (const deadline = Date.now() + 20_000; backgroundHelperPid() === pid && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
    // The next call starts a new helper; a call while none answers falls back, never fails.
    const key = await derive("x", Buffer.from("salt"), 8, options);
    expect(key.length).toBeGreaterThan(0);
    expect(backgroundHelperPid()).not.toBe(pid);
  });
});
