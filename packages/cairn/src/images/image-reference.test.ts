import { describe, expect, it } from "vitest";
import { canonicalImageName, mirroredReference, registryHostOf } from "./image-reference.js";

describe("canonicalImageName", () => {
  it("names Docker Hub's images in full, as engines read them", () => {
    for (const name of ["busybox", "busybox:latest", "library/busybox", "docker.io/busybox", "docker.io/library/busybox:latest", "index.docker.io/library/busybox"]) {
      expect(canonicalImageName(name)).toBe("docker.io/library/busybox:latest");
    }
    expect(canonicalImageName("biocontainers/samtools:1.9")).toBe("docker.io/biocontainers/samtools:1.9");
  });

  it("keeps a registry's host and port, a tag, and a digest", () => {
    expect(canonicalImageName("127.0.0.1:5000/lab/tool")).toBe("127.0.0.1:5000/lab/tool:latest");
    expect(canonicalImageName("ghcr.io/org/img:v1")).toBe("ghcr.io/org/img:v1");
    expect(canonicalImageName("localhost/busybox:test")).toBe("localhost/busybox:test");
    const digest = `sha256:${"a".repeat(64)}`;
    expect(canonicalImageName(`alpine@${digest}`)).toBe(`docker.io/library/alpine@${digest}`);
    expect(canonicalImageName(`alpine:3@${digest}`)).toBe(`docker.io/library/alpine:3@${digest}`);
    expect(canonicalImageName(digest)).toBe(digest);
  });

  it("reads a first component without a dot, colon or localhost as a path, not a host", () => {
    expect(registryHostOf("myorg/tool:1")).toBe("docker.io");
    expect(registryHostOf("localhost:5000/tool")).toBe("localhost:5000");
  });
});

describe("mirroredReference", () => {
  const mirrors = { "docker.io": "127.0.0.1:5000" };
  it("moves an image of a mirrored registry to its mirror, path and tag kept", () => {
    expect(mirroredReference("busybox", mirrors)).toBe("127.0.0.1:5000/library/busybox:latest");
    expect(mirroredReference("quay.io/x/y:1", mirrors)).toBeUndefined();
  });
});
