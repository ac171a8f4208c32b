import { afterEach, describe, expect, it } from "vitest";
import { fakeContext, type FakeContext } from "../../../../test/support/fake-context.js";
import type { FunctionTask } from "../spec/types.js";
import { processEnvironment } from "./task-environment.js";

const task: FunctionTask = {
  id: "t1", type: "function", depends_on: [], execution_profile: {}, input: {}, output: {},
  runtime: "bash", code: "", packages: [], inject_api_token: false,
};

let ctx: FakeContext<FunctionTask>;
afterEach(async () => ctx?.cleanup());

describe("processEnvironment", () => {
  it("in a container: inputs as env vars, fixed /cairn paths, /inbox and /outbox, inputs and inbox mounted read-only, outputs and outbox read-write", () => {
    ctx = fakeContext(task, { inputs: { NAME: "x", CAIRN_OUTPUTS_DIR: "/evil", CAIRN_INBOX_DIR: "/evil" }, attempt: 2 });
    const result = processEnvironment(ctx, "container");
    expect(result.env).toEqual({
      NAME: "x",
      CAIRN_INPUTS_DIR: "/cairn/inputs",
      CAIRN_OUTPUTS_DIR: "/cairn/outputs",
      CAIRN_INBOX_DIR: "/inbox",
      CAIRN_OUTBOX_DIR: "/outbox",
      CAIRN_RUN_UUID: ctx.runUuid,
      CAIRN_TASK_ID: "t1",
      CAIRN_EXECUTION_UUID: ctx.executionUuid,
      CAIRN_ATTEMPT: "2",
    });
    expect(result.mounts).toEqual([
      { hostPath: ctx.paths.inputs, containerPath: "/cairn/inputs", readOnly: true },
      { hostPath: ctx.paths.outputs, containerPath: "/cairn/outputs", readOnly: false },
      { hostPath: ctx.paths.inbox, containerPath: "/inbox", readOnly: true },
      { hostPath: ctx.paths.outbox, containerPath: "/outbox", readOnly: false },
    ]);
    expect(result).toMatchObject({ inputsDir: "/cairn/inputs", outputsDir: "/cairn/outputs" });
  });

  it("on the host: the real paths and no mounts", () => {
    ctx = fakeContext(task, { inputs: { A: "1" } });
    const result = processEnvironment(ctx, "host");
    expect(result.mounts).toEqual([]);
    expect(result.env).toMatchObject({
      A: "1",
      CAIRN_INPUTS_DIR: ctx.paths.inputs,
      CAIRN_OUTPUTS_DIR: ctx.paths.outputs,
      CAIRN_INBOX_DIR: ctx.paths.inbox,
      CAIRN_OUTBOX_DIR: ctx.paths.outbox,
      CAIRN_ATTEMPT: "1",
    });
    expect(result).toMatchObject({ inputsDir: ctx.paths.inputs, outputsDir: ctx.paths.outputs });
  });

  it("with an API token: the URL and token as env vars, never as input files, and the host's network in a container", () => {
    ctx = fakeContext(task, { inputs: { CAIRN_API_TOKEN: "forged" } });
    ctx.api = { url: "http://127.0.0.1:9/v3/workflows", token: "real-token" };
    const inContainer = processEnvironment(ctx, "container");
    expect(inContainer.env).toMatchObject({ CAIRN_API_URL: "http://127.0.0.1:9/v3/workflows", CAIRN_API_TOKEN: "real-token" });
    expect(inContainer.network).toBe("host");
    const onHost = processEnvironment(ctx, "host");
    expect(onHost.env.CAIRN_API_TOKEN).toBe("real-token");
    expect(onHost.network).toBeUndefined();
  });

  it("without a token: no API variables and the default network", () => {
    ctx = fakeContext(task, {});
    const result = processEnvironment(ctx, "container");
    expect(Object.keys(result.env).filter((k) => k.startsWith("CAIRN_API"))).toEqual([]);
    expect(result.network).toBeUndefined();
  });
});
