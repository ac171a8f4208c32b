import { describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { parseEgressAllow } from "./egress-allow.js";
import { EgressPolicy, refusedReason } from "./egress-policy.js";

const strict = new EgressPolicy({ allow: [], connectTimeoutMs: 1000, fetchTimeoutMs: 5000 });
const policyAllowing = (list: string) => new EgressPolicy({ allow: parseEgressAllow(list), connectTimeoutMs: 1000, fetchTimeoutMs: 5000 });

/** What a request task's url becomes: WHATWG URL parsing turns numeric spellings into dotted quads. */
const check = (policy: EgressPolicy, url: string) => policy.checkUrl(new URL(url), `request to ${new URL(url).href}`);

describe("EgressPolicy", () => {
  it.each([
    ["http://127.0.0.1:8080/", "127.0.0.1 is a loopback address"],
    ["http://2130706433/", "127.0.0.1 is a loopback address"],
    ["http://0x7f000001/", "127.0.0.1 is a loopback address"],
    ["http://0177.0.0.1/", "127.0.0.1 is a loopback address"],
    ["http://127.1/", "127.0.0.1 is a loopback address"],
    ["http://0.0.0.0/", "0.0.0.0 is an unspecified address"],
    ["http://0/", "0.0.0.0 is an unspecified address"],
    ["http://[::1]/", "::1 is a loopback address"],
    ["http://[::]/", ":: is an unspecified address"],
    ["http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address"],
    ["http://[fd00:ec2::254]/", "fd00:ec2::254 is a cloud metadata address"],
    ["http://169.254.1.1/", "169.254.1.1 is a link-local address"],
    ["http://[fe80::1]/", "fe80::1 is a link-local address"],
    ["http://10.1.2.3/", "10.1.2.3 is a private address"],
    ["http://172.16.0.1/", "172.16.0.1 is a private address"],
    ["http://172.31.255.255/", "172.31.255.255 is a private address"],
    ["http://192.168.1.1/", "192.168.1.1 is a private address"],
    ["http://[fc00::1]/", "fc00::1 is a private address"],
    ["http://[fd12:3456::1]/", "fd12:3456::1 is a private address"],
    ["http://100.64.0.1/", "100.64.0.1 is a shared (CGNAT) address"],
    ["http://224.0.0.1/", "224.0.0.1 is a multicast address"],
    ["http://255.255.255.255/", "255.255.255.255 is a reserved address"],
    ["http://[::ffff:127.0.0.1]/", "::ffff:7f00:1 is an IPv6 form of 127.0.0.1, a loopback address"],
    ["http://[::ffff:169.254.169.254]/", "::ffff:a9fe:a9fe is an IPv6 form of 169.254.169.254, a cloud metadata address"],
    ["http://[64:ff9b::10.0.0.1]/", "64:ff9b::a00:1 is an IPv6 form of 10.0.0.1, a private address"],
    ["http://[2002:7f00:1::]/", "2002:7f00:1:: is an IPv6 form of 127.0.0.1, a loopback address"],
  ])("refuses %s: %s", async (url, why) => {
    await expect(check(strict, url)).rejects.toMatchObject({
      name: "EgressRefused",
      code: "task_failed",
      retryable: false,
      message: `request to ${new URL(url).href} refused: ${why}; an operator may allow it with CAIRN_EGRESS_ALLOW`,
    });
  });

  it("refuses a name that resolves to loopback, saying what it resolved to", async () => {
    await expect(check(strict, "http://localhost:3000/")).rejects.toMatchObject({
      name: "EgressRefused",
      message: expect.stringMatching(/^request to http:\/\/localhost:3000\/ refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address; an operator may allow it with CAIRN_EGRESS_ALLOW$/),
    });
  });

  it("lets public addresses through, with the addresses to connect to", async () => {
    expect(await check(strict, "https://93.184.216.34/")).toEqual({ host: "93.184.216.34", port: 443, addresses: [{ address: "93.184.216.34", family: 4 }] });
    expect(await check(strict, "http://[2606:4700::1111]:8080/")).toEqual({ host: "2606:4700::1111", port: 8080, addresses: [{ address: "2606:4700::1111", family: 6 }] });
    expect(await strict.check("8.8.8.8", 9418, "clone")).toMatchObject({ port: 9418 });
  });

  it("rejects with the DNS error for a name that does not resolve", async () => {
    await expect(check(strict, "http://cairn-no-such-host.invalid/")).rejects.toMatchObject({ code: expect.stringMatching(/ENOTFOUND|EAI_AGAIN/) });
  });

  it("allows what CAIRN_EGRESS_ALLOW lists: a host, a host and port, a range", async () => {
    const policy = policyAllowing("localhost, 127.0.0.1:8080, 10.0.0.0/8, [::1]:9000, fd00::/8");
    expect((await check(policy, "http://localhost:1234/")).addresses.length).toBeGreaterThan(0);
    await check(policy, "http://127.0.0.1:8080/");
    await check(policy, "http://2130706433:8080/");
    await expect(check(policy, "http://127.0.0.1:8081/")).rejects.toMatchObject({ name: "EgressRefused" });
    await check(policy, "http://10.200.0.1/");
    await check(policy, "http://[::ffff:10.0.0.1]/");
    await expect(check(policy, "http://192.168.0.1/")).rejects.toMatchObject({ name: "EgressRefused" });
    await check(policy, "http://[::1]:9000/");
    await expect(check(policy, "http://[::1]:9001/")).rejects.toMatchObject({ name: "EgressRefused" });
    await check(policy, "http://[fd00:ec2::254]/");
    // An allowed address allows its IPv4-mapped form too, and nothing else.
    await check(policyAllowing("127.0.0.1"), "http://[::ffff:127.0.0.1]/");
    await expect(check(policyAllowing("127.0.0.1"), "http://127.0.0.2/")).rejects.toMatchObject({ name: "EgressRefused" });
  });

  it("allows the endpoints the operator configured, and only those ports", async () => {
    const config = loadConfig({ dataDir: "/tmp/x" }, { CAIRN_GITHUB_URL: "http://127.0.0.1:3000", CAIRN_INSECURE_REGISTRIES: "127.0.0.1:5000", CAIRN_DOCKERHUB_REGISTRY: "10.9.9.9" });
    const policy = EgressPolicy.fromConfig(config);
    await policy.check("127.0.0.1", 3000, "clone");
    await policy.check("127.0.0.1", 5000, "pull");
    await policy.check("10.9.9.9", 443, "pull");
    await expect(policy.check("127.0.0.1", 8080, "request to http://127.0.0.1:8080/")).rejects.toMatchObject({ name: "EgressRefused" });
    // Defaults: no endpoint of the operator's is internal, so nothing internal is allowed.
    await expect(EgressPolicy.fromConfig(loadConfig({ dataDir: "/tmp/x" }, {})).check("127.0.0.1", 443, "x")).rejects.toMatchObject({ name: "EgressRefused" });
  });

  it("answers a connection's lookup with the checked addresses only", async () => {
    const lookup = EgressPolicy.lookupFor({ host: "example.org", port: 80, addresses: [{ address: "93.184.216.34", family: 4 }, { address: "2606:2800::1", family: 6 }] });
    const one = await new Promise((resolve) => lookup("example.org", { family: 4 }, (err, address, family) => resolve([err, address, family])));
    expect(one).toEqual([null, "93.184.216.34", 4]);
    const all = await new Promise((resolve) => lookup("example.org", { all: true }, (err, addresses) => resolve([err, addresses])));
    expect(all).toEqual([null, [{ address: "93.184.216.34", family: 4 }, { address: "2606:2800::1", family: 6 }]]);
  });

  it("judges IPv6 forms that carry an IPv4 address by that address", () => {
    expect(refusedReason("::ffff:8.8.8.8", 6)).toBeUndefined();
    expect(refusedReason("::127.0.0.1", 6)).toBe("an IPv6 form of 127.0.0.1, a loopback address");
    expect(refusedReason("2001:4860:4860::8888", 6)).toBeUndefined();
  });
});

describe("CAIRN_EGRESS_ALLOW", () => {
  it("is read by the config as hosts, host:port pairs and ranges, normalized", () => {
    const config = loadConfig({ dataDir: "/tmp/x" }, { CAIRN_EGRESS_ALLOW: " LocalHost, 2130706433:8080 ,10.0.0.0/8,[::1]:9000,::1, fd00::/8 " });
    expect(config.egressAllow).toEqual([
      { kind: "host", host: "localhost" },
      { kind: "host", host: "127.0.0.1", port: 8080 },
      { kind: "range", address: "10.0.0.0", prefix: 8, family: "ipv4" },
      { kind: "host", host: "::1", port: 9000 },
      { kind: "host", host: "::1" },
      { kind: "range", address: "fd00::", prefix: 8, family: "ipv6" },
    ]);
    expect(loadConfig({ dataDir: "/tmp/x" }, {}).egressAllow).toEqual([]);
  });

  it.each(["10.0.0.0/33", "http://x/", "a b", "host:99999", "::1/200", "x/8"])("refuses '%s', naming it and the forms it takes", (entry) => {
    expect(() => loadConfig({ dataDir: "/tmp/x" }, { CAIRN_EGRESS_ALLOW: entry })).toThrow(
      expect.objectContaining({ code: "config_invalid", message: expect.stringMatching(new RegExp(`^CAIRN_EGRESS_ALLOW: '${entry.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}' is not a host`)) }),
    );
  });

  it("reads the connect and fetch timeouts as durations", () => {
    expect(loadConfig({ dataDir: "/tmp/x" }, { CAIRN_EGRESS_CONNECT_TIMEOUT: "2s", CAIRN_EGRESS_FETCH_TIMEOUT: "1m" })).toMatchObject({ egressConnectTimeoutMs: 2000, egressFetchTimeoutMs: 60_000 });
    expect(loadConfig({ dataDir: "/tmp/x" }, {})).toMatchObject({ egressConnectTimeoutMs: 30_000, egressFetchTimeoutMs: 600_000 });
    expect(() => loadConfig({ dataDir: "/tmp/x" }, { CAIRN_EGRESS_FETCH_TIMEOUT: "0" })).toThrow(/CAIRN_EGRESS_FETCH_TIMEOUT must be a duration above 0/);
  });
});
