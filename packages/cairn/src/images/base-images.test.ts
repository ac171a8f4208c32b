import { describe, expect, it } from "vitest";
import { baseImagesOf, renameBaseImages } from "./base-images.js";

describe("baseImagesOf", () => {
  it("names each base image once, skipping stages, scratch and flags", () => {
    const dockerfile = "# a comment\nFROM --platform=linux/amd64 localhost/busybox:test AS base\nRUN true\nFROM base AS final\nFROM scratch\nfrom registry.example:5000/lab/tool:1 as tool\nFROM localhost/busybox:test\n";
    expect(baseImagesOf(dockerfile, {})).toEqual(["localhost/busybox:test", "registry.example:5000/lab/tool:1"]);
  });

  it("substitutes ARGs declared before the first FROM, build args first, and leaves an unknown one to the engine", () => {
    const dockerfile = 'ARG BASE=localhost/busybox:test\nARG TAG\nFROM ${BASE}\nFROM lab/tool:$TAG\nFROM ${OTHER:-localhost/other:1}\nFROM $UNSET\n';
    expect(baseImagesOf(dockerfile, {})).toEqual(["localhost/busybox:test", "localhost/other:1"]);
    expect(baseImagesOf(dockerfile, { BASE: "localhost/b:2", TAG: "3" })).toEqual(["localhost/b:2", "lab/tool:3", "localhost/other:1"]);
  });

  it("renames FROM images, after ARG substitution, and leaves stages, scratch and flags alone", () => {
    const dockerfile = "ARG BASE=mine:1\nFROM --platform=linux/amd64 ${BASE} AS build\nRUN make\nFROM build\nFROM scratch\nfrom localhost/busybox:test as final\n";
    const renamed = renameBaseImages(dockerfile, {}, (image) => ({ "mine:1": "localhost/cairn/lab/mine:1", build: "localhost/cairn/lab/build:latest", "localhost/busybox:test": undefined })[image]);
    expect(renamed).toBe("ARG BASE=mine:1\nFROM --platform=linux/amd64 localhost/cairn/lab/mine:1 AS build\nRUN make\nFROM build\nFROM scratch\nfrom localhost/busybox:test as final\n");
  });
});
