import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import { parsePipeline } from "./validate.js";

const pipeline = (def: unknown) => ({ id: "p", tasks: [{ id: "job", type: "tapis_job", tapis_job_def: def }] });

function issues(def: unknown): string[] {
  try {
    parsePipeline(pipeline(def));
    return [];
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
}

describe("tapis_job_def", () => {
  it("takes the Tapis Jobs submit request in camelCase", () => {
    const def = {
      name: "n",
      appId: "sim",
      appVersion: "1.0",
      execSystemId: "hpc",
      nodeCount: 2,
      coresPerNode: 4,
      memoryMB: 1000,
      maxMinutes: 30,
      parameterSet: { appArgs: [{ arg: "-v" }], envVariables: [{ key: "A", value: "1" }], schedulerOptions: [{ arg: "--qos=short" }] },
      fileInputs: [{ sourceUrl: "input:DATA", targetPath: "data/in.txt" }],
    };
    expect(issues(def)).toEqual([]);
  });

  it("refuses unknown fields, wrong types, reserved sbatch options and paths out of the job folder, naming each", () => {
    expect(issues({ appId: "sim", archiveOnAppError: true }).join("\n")).toMatch(/tasks\[0\]\.tapis_job_def.*archiveOnAppError/);
    expect(issues({})).toEqual([expect.stringMatching(/^tasks\[0\]\.tapis_job_def\.appId: /)]);
    expect(issues({ appId: "sim", nodeCount: 0 })[0]).toMatch(/tapis_job_def\.nodeCount/);
    expect(issues({ appId: "sim", parameterSet: { schedulerOptions: [{ arg: "--output=/etc/passwd" }] } })[0]).toMatch(/schedulerOptions\[0\]\.arg: sets what Cairn sets itself/);
    expect(issues({ appId: "sim", fileInputs: [{ sourceUrl: "input:X", targetPath: "../out" }] })[0]).toMatch(/fileInputs\[0\]\.targetPath: must be a path inside the job folder/);
    expect(issues({ appId: "sim", fileInputs: [{ sourceUrl: "http://x", targetPath: "a" }] })[0]).toMatch(/fileInputs\[0\]\.sourceUrl: must be input:NAME/);
    expect(issues({ appId: "sim", parameterSet: { envVariables: [{ key: "1BAD", value: "" }] } })[0]).toMatch(/envVariables\[0\]\.key/);
  });
});
