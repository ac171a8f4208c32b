import { describe, expect, it } from "vitest";
import { plainHttpAdvice, plainHttpRegistryIn } from "./plain-http-registry.js";

describe("plainHttpRegistryIn", () => {
  it("reads the registry from Podman's and Docker's wording of a plain-HTTP answer", () => {
    // Podman 4.3's /build, as it failed on a FROM of an unlisted registry.
    const podman =
      'creating build container: initializing source docker://127.0.0.1:45111/base-exp:1: pinging container registry 127.0.0.1:45111: Get "https://127.0.0.1:45111/v2/": http: server gave HTTP response to HTTPS client';
    expect(plainHttpRegistryIn(podman)).toBe("127.0.0.1:45111");
    expect(plainHttpRegistryIn('Get "https://lab.example:5000/v2/": http: server gave HTTP response to HTTPS client')).toBe("lab.example:5000");
    expect(plainHttpRegistryIn("unauthorized: authentication required")).toBeUndefined();
  });
});

describe("plainHttpAdvice", () => {
  it("points Podman users at CAIRN_INSECURE_REGISTRIES and Docker users at the daemon's setting", () => {
    expect(plainHttpAdvice("the registry h:1", "h:1", { name: "Podman Engine" }, false)).toBe("the registry h:1 speaks plain HTTP; list it in CAIRN_INSECURE_REGISTRIES to allow that");
    expect(plainHttpAdvice("the registry h:1", "h:1", { name: "Podman Engine" }, true)).toMatch(/is in CAIRN_INSECURE_REGISTRIES, but Cairn could not read the FROM line naming it/);
    expect(plainHttpAdvice("the registry h:1", "h:1", { name: "Docker Engine" }, true)).toBe(
      "the registry h:1 speaks plain HTTP, and Docker Engine speaks plain HTTP only to the registries of its daemon's insecure-registries setting (127.0.0.0/8 by default): add h:1 there",
    );
    expect(plainHttpAdvice("the registry h:1", "h:1", { name: "Docker Engine" }, false)).toMatch(/add h:1 there, and to CAIRN_INSECURE_REGISTRIES$/);
  });
});
