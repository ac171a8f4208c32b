import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "./password-hash.js";

describe("password hashes", () => {
  it("verifies the password it hashed and nothing else", async () => {
    const stored = await hashPassword("correct horse");
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(stored).not.toContain("correct horse");
    expect(await verifyPassword("correct horse", stored)).toBe(true);
    expect(await verifyPassword("correct horse ", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("salts every hash", async () => {
    expect(await hashPassword("same")).not.toBe(await hashPassword("same"));
  });

  it("rejects stored values it did not write instead of throwing", async () => {
    for (const stored of ["", "plain", "scrypt$x$8$1$abc$def", "bcrypt$1$2$3$4$5", "scrypt$32768$8$1$$"]) {
      expect(await verifyPassword("anything", stored)).toBe(false);
    }
  });
});

describe("password hashes in the background", () => {
  it("hash and verify in the low-priority helper exactly as here", async () => {
    const here = await hashPassword("correct horse é");
    const there = await hashPassword("correct horse é", { background: true });
    expect(await verifyPassword("correct horse é", there)).toBe(true);
    expect(await verifyPassword("correct horse é", here, { background: true })).toBe(true);
    expect(await verifyPassword("correct horse e", here, { background: true })).toBe(false);
  });
});
