import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MASK, SecretMasker, StreamMasker } from "./secret-masker.js";

const TOKEN = "ghp_R2d2C3poL1ke5ecret";

const b64 = (text: string | Buffer) => Buffer.from(text).toString("base64");
const b64url = (text: string | Buffer) => Buffer.from(text).toString("base64url");

/**
 * Lines as a log reader gets them: flat strings decoded from a buffer. (A line built
 * with `+=` is a rope that V8 flattens on first read, which would be timed as masking.)
 */
function randomLogLines(count: number, length: number): string[] {
  const alphabet = Buffer.from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;=/-_[]{}()");
  const text = Buffer.from(randomBytes(count * length).map((byte) => alphabet[byte % alphabet.length]!)).toString("latin1");
  return Array.from({ length: count }, (_, i) => text.slice(i * length, (i + 1) * length));
}

const flat = (text: string) => Buffer.from(text).toString();

describe("SecretMasker", () => {
  it("replaces every occurrence of every secret", () => {
    const masker = new SecretMasker([TOKEN, "hunter2hunter2"]);
    expect(masker.mask(`login with ${TOKEN} and hunter2hunter2, again ${TOKEN}`)).toBe("login with *** and ***, again ***");
  });

  it("returns the very same string when there is nothing to mask", () => {
    const masker = new SecretMasker([TOKEN]);
    const line = "an ordinary line of log output";
    expect(masker.mask(line)).toBe(line);
  });

  it("leaves values shorter than four characters alone, and masks four", () => {
    const masker = new SecretMasker(["abc", "", "wxyz"]);
    expect(masker.isEmpty).toBe(false);
    expect(masker.mask("abc and wxyz")).toBe("abc and ***");
    expect(new SecretMasker(["abc", "x"]).isEmpty).toBe(true);
    // counted in characters, not UTF-16 units: three emoji are still three
    expect(new SecretMasker(["🔑🔑🔑"]).mask("k=🔑🔑🔑")).toBe("k=🔑🔑🔑");
  });

  it("masks standard and url-safe base64, with and without padding", () => {
    const secret = "s3cr3t?>value~~!"; // 16 bytes: padded, and with + or / in standard base64
    const masker = new SecretMasker([secret]);
    expect(b64(secret)).toMatch(/[+/]/);
    for (const encoded of [b64(secret), b64url(secret), b64(secret).replace(/=+$/, ""), `${b64url(secret)}==`]) {
      expect(masker.mask(`Authorization: Basic ${encoded} end`)).toBe(`Authorization: Basic ${MASK} end`);
    }
  });

  it("masks a secret inside a longer base64 text at each byte alignment, leaving only boundary characters", () => {
    const secret = "correct horse battery staple";
    const masker = new SecretMasker([secret]);
    for (let before = 0; before <= 5; before++) {
      for (let after = 0; after <= 5; after++) {
        const encoded = b64(Buffer.concat([randomBytes(before), Buffer.from(secret), randomBytes(after)]));
        const masked = masker.mask(encoded);
        const match = /^([A-Za-z0-9+/=]*)\*\*\*([A-Za-z0-9+/=]*)$/.exec(masked);
        expect(match, `${before} bytes before, ${after} after: ${masked}`).not.toBeNull();
        // What is left is the neighbours' bytes plus at most one character that mixes them with the secret.
        expect(match![1]!.length).toBeLessThanOrEqual(Math.ceil((before * 4) / 3) + 1);
        expect(match![2]!.replace(/=+$/, "").length).toBeLessThanOrEqual(Math.ceil((after * 4) / 3) + 1);
      }
    }
  });

  it("masks `echo $SECRET | base64`, which encodes a trailing newline", () => {
    const secret = "p4ssw0rd-for-the-registry";
    const encoded = b64(`${secret}\n`);
    const masked = new SecretMasker([secret]).mask(encoded);
    expect(masked.startsWith(MASK)).toBe(true);
    expect(masked.length).toBeLessThanOrEqual(MASK.length + 4);
  });

  it("masks percent-encoded secrets as JavaScript, RFC 3986 and HTML forms encode them", () => {
    const secret = "p@ss w/rd!(x)ü";
    const masker = new SecretMasker([secret]);
    const encodings = [
      encodeURIComponent(secret),
      encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()), // lower-case hex
      new URLSearchParams({ q: secret }).toString().slice(2), // form encoding: + for space, %21 for !
      encodeURIComponent(secret).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    ];
    for (const encoded of encodings) {
      expect(masker.mask(`GET /login?password=${encoded}&next=1`)).toBe(`GET /login?password=${MASK}&next=1`);
    }
  });

  it("masks a secret inside a JSON string, escapes included", () => {
    const secret = 'quote"back\\slash\tand-ünïcode';
    const masker = new SecretMasker([secret]);
    expect(masker.mask(JSON.stringify({ password: secret }))).toBe(`{"password":"${MASK}"}`);
    const pythonStyle = JSON.stringify(secret).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    expect(masker.mask(`{"password": ${pythonStyle}}`)).toBe(`{"password": "${MASK}"}`);
  });

  it("masks hex of a secret's bytes, lower and upper case, plain, spaced and with colons", () => {
    const secret = "pässw0rd-Zebra"; // non-ASCII: hex is of the UTF-8 bytes
    const masker = new SecretMasker([secret]);
    const hex = Buffer.from(secret).toString("hex");
    const pairs = hex.match(/../g)!;
    for (const encoded of [hex, hex.toUpperCase(), pairs.join(" "), pairs.join(":"), pairs.join(" ").toUpperCase(), pairs.join(":").toUpperCase()]) {
      expect(masker.mask(`dump: ${encoded} .`)).toBe(`dump: ${MASK} .`);
    }
    // inside a longer hex dump (`xxd -p` of a file that holds it), bytes stay aligned
    expect(masker.mask(`0a0b${hex}0c0d`)).toBe(`0a0b${MASK}0c0d`);
  });

  it("masks a secret reversed and spaced out", () => {
    const secret = "Tr0ub4dor&3🔑";
    const masker = new SecretMasker([secret]);
    const reversed = [...secret].reverse().join("");
    const spaced = [...secret].join(" ");
    expect(masker.mask(`rev: ${reversed}!`)).toBe(`rev: ${MASK}!`);
    expect(masker.mask(`spaced: ${spaced}!`)).toBe(`spaced: ${MASK}!`);
  });

  it("masks every form in bytes as it does in text, for files (maskBytes)", () => {
    const secret = "pässw0rd-Zebra";
    const bytes = new SecretMasker([secret], "bytes");
    const hex = Buffer.from(secret).toString("hex");
    for (const form of [secret, hex, [...secret].reverse().join(""), [...secret].join(" "), b64(secret), encodeURIComponent(secret)]) {
      const file = Buffer.concat([Buffer.from([0xff, 0x00]), Buffer.from(`x${form}y`), Buffer.from([0x80])]);
      const masked = bytes.maskBytes(file);
      expect(masked.equals(Buffer.concat([Buffer.from([0xff, 0x00]), Buffer.from(`x${MASK}y`), Buffer.from([0x80])]))).toBe(true);
    }
    const binary = randomBytes(4096);
    expect(bytes.maskBytes(binary)).toBe(binary);
  });

  it("masks each line of a multi-line secret, since logs arrive line by line", () => {
    const key = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----";
    const masker = new SecretMasker([key]);
    expect(key.split("\n").map((line) => masker.mask(line))).toEqual([MASK, MASK, MASK]);
  });

  it("masks overlapping secrets as one range, leaving no tail of either", () => {
    const masker = new SecretMasker(["hello world", "world peace"]);
    expect(masker.mask("say hello world peace now")).toBe(`say ${MASK} now`);
  });

  it("masks again when the mask itself completes a secret that contains *", () => {
    const masker = new SecretMasker(["a***"]);
    // "aa***" -> "a***" would spell the secret again
    expect(masker.mask("aa***")).toBe(MASK);
    expect(masker.mask("x a***a*** y")).not.toContain("a***");
  });

  it("never lets a secret, its base64 or its escaped forms through (property)", () => {
    const secret = fc.oneof(fc.string({ minLength: 4, maxLength: 40 }), fc.string({ unit: "grapheme", minLength: 4, maxLength: 20 }));
    const text = fc.string({ unit: "grapheme", maxLength: 60 });
    fc.assert(
      fc.property(fc.array(secret, { minLength: 1, maxLength: 4 }), text, text, fc.nat(3), (secrets, before, after, pick) => {
        const target = secrets[pick % secrets.length]!;
        const masker = new SecretMasker(secrets);
        const forms = [target, b64(target), b64url(target), JSON.stringify(target).slice(1, -1)];
        for (const form of forms) {
          const masked = masker.mask(before + form + after);
          for (const leaked of forms) expect(masked).not.toContain(leaked);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("masks a secret inside random base64 leaving only the neighbours' characters (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", minLength: 4, maxLength: 30 }),
        fc.uint8Array({ maxLength: 12 }),
        fc.uint8Array({ maxLength: 12 }),
        (secret, before, after) => {
          const encoded = b64(Buffer.concat([before, Buffer.from(secret), after]));
          const masked = new SecretMasker([secret]).mask(encoded);
          const index = masked.indexOf(MASK);
          expect(index).toBeGreaterThanOrEqual(0);
          expect(index).toBeLessThanOrEqual(Math.ceil((before.length * 4) / 3) + 1);
          expect(masked.length - index - MASK.length).toBeLessThanOrEqual(Math.ceil((after.length * 4) / 3) + 3);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("leaves text alone that shares no character with any form of a secret (property)", () => {
    const text = fc.string({ unit: fc.constantFrom(" ", ".", ",", ";", ":", "!", "?", "#", "&"), maxLength: 80 });
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z]{4,20}$/), { minLength: 1, maxLength: 5 }), text, (secrets, line) => {
        expect(new SecretMasker(secrets).mask(line)).toBe(line);
      }),
    );
  });

  it("masks exactly the lines that hold a secret among 100k lines over 20 secrets", () => {
    const secrets = Array.from({ length: 20 }, () => randomBytes(24).toString("base64url"));
    const masker = new SecretMasker(secrets);
    const lines = randomLogLines(100_000, 100);
    for (let i = 0; i < lines.length; i += 1000) lines[i] = flat(`${lines[i]!.slice(0, 40)}${secrets[(i / 1000) % 20]}${lines[i]!.slice(72)}`);

    const started = performance.now();
    let masked = 0;
    for (const line of lines) if (masker.mask(line) !== line) masked++;
    const elapsedMs = performance.now() - started;

    console.info(`SecretMasker: 20 secrets, 100k lines x 100 chars in ${elapsedMs.toFixed(0)} ms`);
    // Speed is reported, not asserted (benchmarks are not tests); the count must be exact.
    expect(masked).toBe(100);
  });
});

describe("StreamMasker", () => {
  const masker = new SecretMasker([TOKEN]);

  function feed(stream: StreamMasker, lines: string[]): string[] {
    return [...lines.flatMap((line) => stream.push(line)), ...stream.flush()];
  }

  it("masks a secret split across two lines at every split point", () => {
    for (let at = 1; at < TOKEN.length; at++) {
      const stream = new StreamMasker(masker);
      expect(stream.push(`token=${TOKEN.slice(0, at)}`)).toEqual([]);
      expect(stream.holding).toBe(true);
      expect(stream.push(`${TOKEN.slice(at)} done.`)).toEqual([`token=${MASK}`, `${MASK} done.`]);
      expect(stream.holding).toBe(false);
    }
  });

  it("masks a secret spread over three lines", () => {
    const stream = new StreamMasker(masker);
    expect(feed(stream, [`a ${TOKEN.slice(0, 5)}`, TOKEN.slice(5, 12), `${TOKEN.slice(12)} z`])).toEqual([`a ${MASK}`, MASK, `${MASK} z`]);
  });

  it("masks base64 that `base64` wrapped at 76 columns", () => {
    const secret = randomBytes(90).toString("hex"); // 180 characters: its base64 spans four lines
    const wrapped = b64(`Authorization: ${secret}\n`).match(/.{1,76}/g)!; // 15-byte prefix: the secret is aligned
    const out = feed(new StreamMasker(new SecretMasker([secret])), wrapped);
    expect(out).toHaveLength(wrapped.length);
    const inner = b64(secret).slice(0, -4);
    for (let i = 0; i + 6 <= inner.length; i += 3) {
      for (const line of out) expect(line).not.toContain(inner.slice(i, i + 6));
    }
  });

  it("passes a line through at once when its end cannot start a secret", () => {
    const stream = new StreamMasker(masker);
    expect(stream.push("step 1 finished.")).toEqual(["step 1 finished."]);
    expect(stream.holding).toBe(false);
  });

  it("holds a line whose end could start a secret until the next line or flush()", () => {
    const stream = new StreamMasker(masker);
    expect(stream.push("downloading gh")).toEqual([]);
    expect(stream.flush()).toEqual(["downloading gh"]);
    expect(stream.flush()).toEqual([]);
  });

  it("still masks the rest of a secret whose start an idle flush released", () => {
    const stream = new StreamMasker(masker);
    stream.push(`x=${TOKEN.slice(0, 6)}`);
    expect(stream.flush()).toEqual([`x=${TOKEN.slice(0, 6)}`]);
    expect(stream.push(`${TOKEN.slice(6)};`)).toEqual([`${MASK};`]);
  });

  it("matches nothing across an empty line", () => {
    const stream = new StreamMasker(masker);
    expect(stream.push(`x=${TOKEN.slice(0, 6)}`)).toEqual([]);
    expect(stream.push("")).toEqual([`x=${TOKEN.slice(0, 6)}`, ""]);
    expect(stream.push(`${TOKEN.slice(6)};`)).toEqual([`${TOKEN.slice(6)};`]);
  });

  it("masks whole secrets within lines like SecretMasker does", () => {
    const stream = new StreamMasker(masker);
    expect(feed(stream, [`one ${TOKEN} two ${b64(TOKEN)}`, "three"])).toEqual([`one ${MASK} two ${MASK}`, "three"]);
  });

  it("emits every line, in order, and no secret survives any split (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 4, maxLength: 30 }),
        fc.string({ maxLength: 30 }),
        fc.string({ maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (secret, before, after, cuts) => {
          const text = before + secret + after;
          const points = [...new Set(cuts.map((c) => (c % Math.max(1, text.length - 1)) + 1))].sort((a, b) => a - b);
          const lines = [0, ...points].map((from, i) => text.slice(from, points[i] ?? text.length)).filter((l) => l !== "");
          const out = feed(new StreamMasker(new SecretMasker([secret])), lines);
          expect(out).toHaveLength(lines.length);
          expect(out.join("")).not.toContain(secret);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("passes 100k lines over 20 secrets through, one out per line in", () => {
    const secrets = Array.from({ length: 20 }, () => randomBytes(24).toString("base64url"));
    const stream = new StreamMasker(new SecretMasker(secrets));
    const lines = randomLogLines(100_000, 100);
    const started = performance.now();
    let out = 0;
    for (const line of lines) out += stream.push(line).length;
    out += stream.flush().length;
    const elapsedMs = performance.now() - started;
    console.info(`StreamMasker: 20 secrets, 100k lines x 100 chars in ${elapsedMs.toFixed(0)} ms`);
    expect(out).toBe(100_000);
  });
});
