import { describe, expect, it } from "vitest";
import { engineCapabilities } from "./engine-capabilities.js";

describe("engineCapabilities", () => {
  it("gives Podman its own API's builds without pulls, pulls without TLS and OCI exports", () => {
    expect(engineCapabilities("Podman Engine")).toEqual({ buildWithoutPulls: true, pullWithoutTls: true, ociExport: true, daemonInsecureRegistries: false });
    expect(engineCapabilities("podman")).toMatchObject({ ociExport: true });
  });

  it("gives Docker, or an engine it does not know, only the compatible API and its daemon's registry settings", () => {
    const compatibleOnly = { buildWithoutPulls: false, pullWithoutTls: false, ociExport: false, daemonInsecureRegistries: true };
    expect(engineCapabilities("Docker Engine")).toEqual(compatibleOnly);
    expect(engineCapabilities("Engine")).toEqual(compatibleOnly);
  });
});
