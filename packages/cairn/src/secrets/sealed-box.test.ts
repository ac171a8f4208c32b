import { describe, expect, it } from "vitest";
import { generateDataKey } from "./key-ring.js";
import { open, seal, SealedBoxError } from "./sealed-box.js";

const key = generateDataKey();

function problemOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    if (err instanceof SealedBoxError) return err.problem;
    throw err;
  }
  return undefined;
}

describe("sealed box", () => {
  it("opens what it sealed, and never shows the plaintext", () => {
    const sealed = seal(key, "p4ssw0rd-ünïcode", "identity:1");
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain("p4ssw0rd");
    expect(open(key, sealed, "identity:1")).toBe("p4ssw0rd-ünïcode");
    expect(seal(key, "same", "x")).not.toBe(seal(key, "same", "x"));
  });

  it("refuses another row, another key, and any altered character", () => {
    const sealed = seal(key, "secret", "identity:1");
    expect(problemOf(() => open(key, sealed, "identity:2"))).toBe("not_authentic");
    expect(problemOf(() => open(generateDataKey(), sealed, "identity:1"))).toBe("not_authentic");
    for (let i = 3; i < sealed.length; i++) {
      const altered = sealed.slice(0, i) + (sealed[i] === "A" ? "B" : "A") + sealed.slice(i + 1);
      if (altered[i] === ".") continue;
      expect(problemOf(() => open(key, altered, "identity:1"))).toBeDefined();
    }
  });

  it("names malformed values", () => {
    expect(problemOf(() => open(key, "v1.a.b", "x"))).toBe("malformed");
    expect(problemOf(() => open(key, "v2.a.b.c", "x"))).toBe("unsupported_version");
  });
});
