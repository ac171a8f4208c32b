import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { maskedReadable, MaskingStream } from "./masking-stream.js";
import { MASK, SecretMasker } from "./secret-masker.js";

const SECRET = "s3cr3t-V4lue-🔑";

/** The stream's output when `content` arrives cut at the given offsets. */
async function throughStream(masker: SecretMasker, content: Buffer, cuts: number[]): Promise<Buffer> {
  const points = [...new Set([0, ...cuts.filter((c) => c > 0 && c < content.length), content.length])].sort((a, b) => a - b);
  const chunks = points.slice(1).map((end, i) => content.subarray(points[i], end));
  return buffer(Readable.from(chunks, { objectMode: false }).pipe(new MaskingStream(masker)));
}

describe("MaskingStream", () => {
  const masker = new SecretMasker([SECRET], "bytes");

  it("masks a secret split between two chunks at every split point, as one ***", async () => {
    const content = Buffer.from(`before ${SECRET} after\n`);
    const expected = Buffer.from(`before ${MASK} after\n`);
    for (let cut = 1; cut < content.length; cut++) {
      expect((await throughStream(masker, content, [cut])).toString()).toBe(expected.toString());
    }
  });

  it("masks a secret cut into one-byte chunks, and every encoded form across chunks", async () => {
    const forms = [
      SECRET,
      Buffer.from(SECRET).toString("hex"),
      Buffer.from(SECRET).toString("base64"),
      encodeURIComponent(SECRET),
      [...SECRET].reverse().join(""),
      [...SECRET].join(" "),
    ];
    for (const form of forms) {
      const content = Buffer.from(`<${form}>`);
      const everyByte = Array.from({ length: content.length }, (_, i) => i);
      expect((await throughStream(masker, content, everyByte)).toString()).toBe(`<${MASK}>`);
    }
  });

  it("passes binary content through byte for byte when it holds no secret", async () => {
    const content = randomBytes(200_000);
    const out = await throughStream(masker, content, [1, 65_536, 65_537, 150_000]);
    expect(out.equals(content)).toBe(true);
  });

  it("masks secrets inside binary content and keeps the bytes around them", async () => {
    const head = randomBytes(1000);
    const tail = randomBytes(1000);
    const content = Buffer.concat([head, Buffer.from(SECRET), tail, Buffer.from(SECRET)]);
    const out = await throughStream(masker, content, [1003, 1010, 2005]);
    const expected = masker.maskBytes(content);
    expect(out.equals(expected)).toBe(true);
    expect(out.includes(Buffer.from(SECRET))).toBe(false);
  });

  it("gives the same bytes as masking the whole file at once, wherever the chunks end (property)", async () => {
    const secrets = ["abcdabce", "cdab", "token-9999"];
    const bytes = new SecretMasker(secrets, "bytes");
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom("abcd", "abce", "cdab", "token-", "9999", "x", "\n", "YWJj", "6162"), { maxLength: 30 }),
        fc.array(fc.nat(200), { maxLength: 8 }),
        async (pieces, cuts) => {
          const content = Buffer.from(pieces.join(""));
          const out = await throughStream(bytes, content, cuts);
          expect(out.toString()).toBe(bytes.maskBytes(content).toString());
        },
      ),
    );
  });

  it("returns the source unchanged when there is nothing to mask, and ends with the source's error", async () => {
    const source = Readable.from([Buffer.from("x")]);
    expect(maskedReadable(source, new SecretMasker([], "bytes"))).toBe(source);
    const failing = new Readable({ read() { this.destroy(new Error("disk gone")); } });
    await expect(buffer(maskedReadable(failing, masker))).rejects.toThrow("disk gone");
  });
});
