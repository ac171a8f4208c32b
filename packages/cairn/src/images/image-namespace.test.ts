import { describe, expect, it } from "vitest";
import { isInNamespace, namespaceOf, namespacePrefix, ownEngineName } from "./image-namespace.js";

describe("image namespaces", () => {
  it("gives ids that differ only by case, and personal spaces, namespaces that never meet", () => {
    const ids = ["lab", "Lab", "LAB", "~alice", "~Alice", "u--alice", "alice", "a..b", "a.b", "x--a", "lab-2", "lab_2", "~lab"];
    const namespaces = ids.map(namespaceOf);
    expect(new Set(namespaces).size).toBe(ids.length);
    expect(namespaceOf("lab")).toBe("lab");
    expect(namespaceOf("~alice")).toBe("u--alice");
    for (const ns of namespaces) expect(ns).toMatch(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/);
  });

  it("maps the names a group's task gives to its own engine names, and nothing of another group's", () => {
    expect(ownEngineName("lab", "myimg:1")).toBe("localhost/cairn/lab/myimg:1");
    expect(ownEngineName("lab", "localhost/tools/x")).toBe("localhost/cairn/lab/tools/x:latest");
    expect(ownEngineName("lab", "reg.example:5000/ada/tools:v1")).toBe("localhost/cairn/lab/reg.example-5000/ada/tools:v1");
    expect(ownEngineName("lab", "localhost/cairn/lab/x:1")).toBe("localhost/cairn/lab/x:1");
    expect(ownEngineName("lab", "localhost/cairn/other/x:1")).toBeUndefined();
    expect(ownEngineName("lab", `sha256:${"a".repeat(64)}`)).toBeUndefined();
    expect(ownEngineName("lab", `reg:5000/x@sha256:${"a".repeat(64)}`)).toBeUndefined();
    expect(isInNamespace("lab", `${namespacePrefix("lab")}x:1`)).toBe(true);
    expect(isInNamespace("Lab", `${namespacePrefix("lab")}x:1`)).toBe(false);
  });
});
