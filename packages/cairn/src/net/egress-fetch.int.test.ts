import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseEgressAllow } from "./egress-allow.js";
import { egressFetch } from "./egress-fetch.js";
import { EgressPolicy } from "./egress-policy.js";

/**
 * The name `rebind.cairn.test` exists only in the policy's own look-up (mocked below):
 * the system resolver does not know it. A request to it that arrives at the local server
 * proves the socket connected to the address the policy checked, with no second look-up
 * that a rebinding DNS server could answer differently.
 */
vi.mock("node:dns/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:dns/promises")>();
  const lookup = (async (host: string, options: unknown) =>
    host === "rebind.cairn.test" ? [{ address: "127.0.0.1", family: 4 }] : (real.lookup as (h: string, o: unknown) => Promise<unknown>)(host, options)) as typeof real.lookup;
  return { ...real, lookup, default: { ...real, lookup } };
});

let server: Server;
let port: number;
const hosts: string[] = [];
const agents: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hosts.push(req.headers.host ?? "");
    agents.push(req.headers["user-agent"] ?? "");
    if (req.url === "/gzip") res.writeHead(200, { "content-encoding": "gzip" }).end(gzipSync("unzipped"));
    else if (req.url === "/empty") res.writeHead(204).end();
    else res.writeHead(200, { "set-cookie": ["a=1", "b=2"] }).end(`hello ${req.method}`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const allowing = (list: string) => new EgressPolicy({ allow: parseEgressAllow(list), connectTimeoutMs: 5000, fetchTimeoutMs: 5000 });
const get = (url: string, policy: EgressPolicy, method = "GET") => egressFetch(policy, new URL(url), { method, headers: new Headers(), body: undefined, signal: new AbortController().signal, subject: `request to ${url}` });

describe("egressFetch", () => {
  it("connects to the address the policy checked, never looking the name up again", async () => {
    const response = await get(`http://rebind.cairn.test:${port}/`, allowing("127.0.0.1/32"));
    expect(await response.text()).toBe("hello GET");
    expect(hosts.at(-1)).toBe(`rebind.cairn.test:${port}`);
  });

  it("refuses that name when its address is not allowed", async () => {
    await expect(get(`http://rebind.cairn.test:${port}/`, allowing(""))).rejects.toMatchObject({
      name: "EgressRefused",
      message: `request to http://rebind.cairn.test:${port}/ refused: rebind.cairn.test resolves to 127.0.0.1, a loopback address; an operator may allow it with CAIRN_EGRESS_ALLOW`,
    });
  });

  it("answers as fetch does: decoded bodies, repeated headers, no body for HEAD and 204", async () => {
    const policy = allowing("127.0.0.1");
    expect(await (await get(`http://127.0.0.1:${port}/gzip`, policy)).text()).toBe("unzipped");
    const plain = await get(`http://127.0.0.1:${port}/`, policy);
    expect(plain.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await plain.text()).toBe("hello GET");
    expect(agents.at(-1)).toBe("cairn");
    const head = await get(`http://127.0.0.1:${port}/`, policy, "HEAD");
    expect([head.status, head.body]).toEqual([200, null]);
    const empty = await get(`http://127.0.0.1:${port}/empty`, policy);
    expect([empty.status, empty.body]).toEqual([204, null]);
  });
});
