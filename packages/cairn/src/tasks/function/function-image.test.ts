import { describe, expect, it } from "vitest";
import { CairnError } from "../../errors.js";
import { loadConfig } from "../../config.js";
import { functionLanguage } from "./function-family.js";
import { functionImageFor } from "./function-image.js";

const language = (runtime: string) => functionLanguage({ runtime, packages: [], installer: undefined });

describe("the image a function runtime runs in", () => {
  const config = loadConfig({ dataDir: "/tmp/unused" }, { CAIRN_FUNCTION_IMAGE_PYTHON: "lab/python:any", CAIRN_FUNCTION_IMAGES: "python3.9=lab/py39, node18 = lab/node18" });

  it("a bare runtime takes its family's image", () => {
    expect(functionImageFor(config, language("python3"))).toBe("lab/python:any");
    expect(functionImageFor(config, language("node"))).toBe("docker.io/library/node:20-slim");
  });

  it("a versioned runtime takes the image configured for it, else the official image of that version", () => {
    expect(functionImageFor(config, language("python3.9"))).toBe("lab/py39");
    expect(functionImageFor(config, language("node18"))).toBe("lab/node18");
    expect(functionImageFor(config, language("nodejs18"))).toBe("lab/node18");
    expect(functionImageFor(config, language("python3.13"))).toBe("docker.io/library/python:3.13-slim");
    expect(functionImageFor(config, language("node22"))).toBe("docker.io/library/node:22-slim");
  });

  it("a versioned python is run by its versioned name", () => {
    expect(language("python3.9")).toMatchObject({ family: "python", version: "3.9", interpreter: "python3.9" });
    expect(language("python3")).toMatchObject({ version: undefined, interpreter: "python3" });
    expect(language("node18")).toMatchObject({ family: "node", version: "18", interpreter: "node", runtime: "node18" });
  });

  it("CAIRN_FUNCTION_IMAGES refuses what is not RUNTIME=IMAGE with a versioned runtime", () => {
    for (const bad of ["python3=lab/x", "python3.9", "node18=a=b", "ruby3=lab/ruby"]) {
      expect(() => loadConfig({ dataDir: "/tmp/unused" }, { CAIRN_FUNCTION_IMAGES: bad }), bad).toThrow(CairnError);
    }
  });
});
