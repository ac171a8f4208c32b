import { describe, expect, it } from "vitest";
import { dockerSkipsTls } from "./docker-insecure-registries.js";

/** Docker 20.10's defaults, as GET /info answers them on a daemon with no settings of its own. */
const DEFAULTS = { IndexConfigs: { "docker.io": { Secure: true } }, InsecureRegistryCIDRs: ["127.0.0.0/8"] };

describe("dockerSkipsTls", () => {
  it("counts loopback registries as insecure by default, by address or by a name that resolves there", async () => {
    expect(await dockerSkipsTls("127.0.0.1:5000", DEFAULTS)).toBe(true);
    expect(await dockerSkipsTls("127.1.2.3", DEFAULTS)).toBe(true);
    expect(await dockerSkipsTls("localhost:5000", DEFAULTS)).toBe(true);
  });

  it("counts other addresses, and indexes configured secure, as secure", async () => {
    expect(await dockerSkipsTls("10.0.0.7:5000", DEFAULTS)).toBe(false);
    expect(await dockerSkipsTls("docker.io", DEFAULTS)).toBe(false);
    expect(await dockerSkipsTls("registry.invalid:5000", DEFAULTS)).toBe(false);
  });

  it("follows the daemon's own index and CIDR settings", async () => {
    const config = { IndexConfigs: { "lab.example:5000": { Secure: false }, "127.0.0.1:5000": { Secure: true } }, InsecureRegistryCIDRs: ["127.0.0.0/8", "10.0.0.0/8", "::1/128"] };
    expect(await dockerSkipsTls("lab.example:5000", config)).toBe(true);
    expect(await dockerSkipsTls("127.0.0.1:5000", config)).toBe(false);
    expect(await dockerSkipsTls("10.0.0.7:5000", config)).toBe(true);
    expect(await dockerSkipsTls("[::1]:5000", config)).toBe(true);
    expect(await dockerSkipsTls("127.0.0.1:5000", { InsecureRegistryCIDRs: [] })).toBe(false);
  });
});
