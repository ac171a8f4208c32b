import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { WebhookType } from "../store/webhook-store.js";

/**
 * Whether a delivery comes from the holder of the webhook's secret, as each provider
 * signs: GitHub `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, Gitea
 * `X-Gitea-Signature: <hex HMAC-SHA256 of the raw body>`, GitLab `X-Gitlab-Token: <the
 * secret itself>` (GitLab signs nothing), and Cairn's generic one
 * `X-Cairn-Signature-256: sha256=<hex HMAC-SHA256>`, GitHub's scheme under its own name.
 * The HMAC is over the bytes received: a body parsed and serialised again would differ.
 * Every comparison is in constant time.
 */

export type Headers = Readonly<Record<string, string | string[] | undefined>>;
export type Verdict = { ok: true } | { ok: false; reason: string };

export const SIGNATURE_HEADERS: Record<WebhookType, string> = {
  github: "x-hub-signature-256",
  gitea: "x-gitea-signature",
  gitlab: "x-gitlab-token",
  generic: "x-cairn-signature-256",
};

export function verifySignature(type: WebhookType, secret: string, headers: Headers, rawBody: Buffer): Verdict {
  const name = SIGNATURE_HEADERS[type];
  const sent = headerOf(headers, name);
  if (sent === undefined || sent === "") return { ok: false, reason: `no ${name} header: the delivery is not signed` };
  if (type === "gitlab") return sameSecret(sent, secret) ? { ok: true } : { ok: false, reason: `${name} does not match the webhook's secret` };
  const hex = type === "gitea" ? sent : /^sha256=(.*)$/.exec(sent)?.[1];
  if (hex === undefined || !/^[0-9a-fA-F]{64}$/.test(hex)) return { ok: false, reason: `${name} is not ${type === "gitea" ? "" : "sha256="}<64 hex digits>` };
  const expected = createHmac("sha256", secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(hex, "hex")) ? { ok: true } : { ok: false, reason: `${name} does not match the body: a wrong secret, or a changed body` };
}

/** The value of `X-Hub-Signature-256` (and `X-Cairn-Signature-256`) for a body: what a sender computes. */
export function signatureOf(secret: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac("sha256", secret).update(rawBody).digest("hex")}`;
}

export function headerOf(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Equal secrets, in time that depends on neither: both sides are hashed to one length first. */
function sameSecret(sent: string, secret: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(sent), digest(secret));
}
