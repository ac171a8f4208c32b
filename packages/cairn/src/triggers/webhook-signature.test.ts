import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signatureOf, verifySignature } from "./webhook-signature.js";

const SECRET = "It's a Secret to Everybody";
// GitHub's documented example: this payload with this secret gives this signature
// (docs.github.com, "Validating webhook deliveries").
const GITHUB_EXAMPLE_BODY = Buffer.from("Hello, World!");
const GITHUB_EXAMPLE_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

const body = Buffer.from(JSON.stringify({ ref: "refs/heads/main", after: "abc" }));
const hex = createHmac("sha256", SECRET).update(body).digest("hex");

describe("verifySignature", () => {
  it("accepts GitHub's documented example", () => {
    expect(signatureOf(SECRET, GITHUB_EXAMPLE_BODY)).toBe(GITHUB_EXAMPLE_SIGNATURE);
    expect(verifySignature("github", SECRET, { "x-hub-signature-256": GITHUB_EXAMPLE_SIGNATURE }, GITHUB_EXAMPLE_BODY)).toEqual({ ok: true });
  });

  it.each([
    ["github", "x-hub-signature-256", `sha256=${hex}`],
    ["generic", "x-cairn-signature-256", `sha256=${hex}`],
    ["gitea", "x-gitea-signature", hex],
    ["gitlab", "x-gitlab-token", SECRET],
  ] as const)("%s: a good signature holds; a missing, bad or wrong-secret one and a changed body do not", (type, header, good) => {
    expect(verifySignature(type, SECRET, { [header]: good }, body)).toEqual({ ok: true });
    expect(verifySignature(type, SECRET, {}, body)).toMatchObject({ ok: false, reason: expect.stringContaining(`no ${header} header`) });
    expect(verifySignature(type, SECRET, { [header]: "" }, body)).toMatchObject({ ok: false });
    expect(verifySignature(type, "another secret entirely", { [header]: good }, body)).toMatchObject({ ok: false });
    if (type !== "gitlab") {
      // The body changed after it was signed (a byte appended): GitLab signs no body.
      expect(verifySignature(type, SECRET, { [header]: good }, Buffer.concat([body, Buffer.from(" ")]))).toMatchObject({ ok: false, reason: expect.stringContaining("does not match the body") });
      expect(verifySignature(type, SECRET, { [header]: good.replace(/.$/, (c) => (c === "0" ? "1" : "0")) }, body)).toMatchObject({ ok: false });
      expect(verifySignature(type, SECRET, { [header]: "sha1=abc" }, body)).toMatchObject({ ok: false });
    } else {
      expect(verifySignature(type, SECRET, { [header]: `${SECRET}x` }, body)).toMatchObject({ ok: false });
    }
  });

  it("does not take one provider's header for another's", () => {
    expect(verifySignature("gitea", SECRET, { "x-hub-signature-256": `sha256=${hex}` }, body)).toMatchObject({ ok: false });
    expect(verifySignature("generic", SECRET, { "x-hub-signature-256": `sha256=${hex}` }, body)).toMatchObject({ ok: false });
  });
});
