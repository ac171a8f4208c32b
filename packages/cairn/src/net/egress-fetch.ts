import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { TaskFailure } from "../errors.js";
import { EgressPolicy } from "./egress-policy.js";

/**
 * One HTTP(S) exchange, no redirects followed, through the egress policy: the host is
 * checked, and the socket connects to the checked addresses (a `lookup` that answers
 * with them), with TLS still verified against the host name. Node's fetch cannot be
 * given a lookup without the undici package, so this speaks node:http and hands back a
 * fetch `Response`. Bodies in gzip, deflate or br are decoded, as fetch does.
 */

export interface EgressRequest {
  method: string;
  headers: Headers;
  body: string | undefined;
  signal: AbortSignal;
  /** Starts the policy's messages: "SUBJECT refused: ..." / "SUBJECT failed: ...". */
  subject: string;
}

/** Statuses whose answers have no body (a Response refuses one). */
const NULL_BODY = new Set([101, 204, 205, 304]);

export async function egressFetch(policy: EgressPolicy, url: URL, init: EgressRequest): Promise<Response> {
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TaskFailure(`${init.subject} failed: only http and https are fetched`, { retryable: false });
  const destination = await policy.checkUrl(url, init.subject);
  init.signal.throwIfAborted();

  // What fetch sends unless told otherwise: some APIs (GitHub's) refuse a request without a user agent.
  const headers: Record<string, string> = { accept: "*/*", "user-agent": "cairn", "accept-encoding": "gzip, deflate, br" };
  init.headers.forEach((value, name) => (headers[name] = value));
  if (init.body !== undefined && headers["content-length"] === undefined) headers["content-length"] = String(Buffer.byteLength(init.body));

  const message = await new Promise<IncomingMessage>((resolve, reject) => {
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(url, {
      method: init.method,
      headers,
      lookup: EgressPolicy.lookupFor(destination),
      // A socket of its own: a pooled one could have been connected under another check.
      agent: false,
      signal: init.signal,
    });
    const connectTimer = setTimeout(() => {
      req.destroy(Object.assign(new Error(`no connection within ${policy.connectTimeoutMs / 1000} s (CAIRN_EGRESS_CONNECT_TIMEOUT)`), { code: "ETIMEDOUT" }));
    }, policy.connectTimeoutMs);
    req.once("socket", (socket) => {
      if (!socket.connecting) return clearTimeout(connectTimer);
      socket.once(url.protocol === "https:" ? "secureConnect" : "connect", () => clearTimeout(connectTimer));
    });
    req.once("response", (res) => {
      clearTimeout(connectTimer);
      resolve(res);
    });
    req.once("error", (err) => {
      clearTimeout(connectTimer);
      reject(err);
    });
    req.end(init.body);
  });

  const responseHeaders = new Headers();
  for (let i = 0; i + 1 < message.rawHeaders.length; i += 2) {
    try {
      responseHeaders.append(message.rawHeaders[i]!, message.rawHeaders[i + 1]!);
    } catch {
      // A header value fetch would refuse (bytes outside Latin-1) is left out rather than failing the call.
    }
  }
  const status = message.statusCode ?? 0;
  if (status < 200 || status > 599) {
    message.destroy();
    throw new TaskFailure(`${init.subject} failed: the server answered with status ${status}, which is not an HTTP status`, { retryable: true });
  }
  const body = NULL_BODY.has(status) || init.method === "HEAD" ? null : (Readable.toWeb(decoded(message)) as ReadableStream<Uint8Array>);
  if (body === null) message.resume();
  return new Response(body, { status, statusText: message.statusMessage ?? "", headers: responseHeaders });
}

function decoded(message: IncomingMessage): Readable {
  const encoding = (message.headers["content-encoding"] ?? "").trim().toLowerCase();
  const decoder = encoding === "gzip" || encoding === "x-gzip" ? createGunzip() : encoding === "deflate" ? createInflate() : encoding === "br" ? createBrotliDecompress() : undefined;
  if (decoder === undefined) return message;
  message.on("error", (err) => decoder.destroy(err));
  return message.pipe(decoder);
}
