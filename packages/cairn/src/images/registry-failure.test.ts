import { describe, expect, it } from "vitest";
import { registryFailure } from "./docker-image-engine.js";

const podman = { name: "Podman Engine" };
const login = { registry: "127.0.0.1:40195", username: "pusher", secret: "s3cret" };

describe("registryFailure", () => {
  it("says plain HTTP for a registry that speaks it, though its port has 401 in it and the engine says unauthorized", () => {
    // Podman 4.3's wording of a push to an unlisted plain-HTTP registry on a random port.
    const message =
      'unauthorized: trying to reuse blob sha256:717cd8be at destination: pinging container registry 127.0.0.1:40195: Get "https://127.0.0.1:40195/v2/": http: server gave HTTP response to HTTPS client';
    const failure = registryFailure("push", "127.0.0.1:40195/lab/tls:latest", new Error(message), { login, insecure: false }, podman);
    expect(failure.message).toMatch(/^the registry 127\.0\.0\.1:40195 speaks plain HTTP; list it in CAIRN_INSECURE_REGISTRIES/);
    expect(failure.retryable).toBe(false);
  });

  it("reads a refusal of the login, and a missing image, whatever the registry's port", () => {
    const refused = registryFailure("push", "127.0.0.1:40195/lab/x:1", new Error("unauthorized: authentication required"), { login, insecure: true }, podman);
    expect(refused.message).toMatch(/^the registry 127\.0\.0\.1:40195 refused the push of '127\.0\.0\.1:40195\/lab\/x:1' with the credentials of 'pusher' \(unauthorized\)/);
    const status = registryFailure("pull", "127.0.0.1:5000/lab/x:1", new Error("received unexpected HTTP status: 401 Unauthorized"), { insecure: true }, podman);
    expect(status.message).toMatch(/refused the pull of '127\.0\.0\.1:5000\/lab\/x:1' with no credentials/);
    const missing = registryFailure("pull", "127.0.0.1:40195/lab/x:1", new Error("manifest unknown: manifest unknown"), { insecure: true }, podman);
    expect(missing.message).toMatch(/^the registry has no image '127\.0\.0\.1:40195\/lab\/x:1'/);
  });
});
