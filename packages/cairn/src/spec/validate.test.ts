import { describe, expect, it } from "vitest";
import { ValidationError, type Issue } from "../errors.js";
import { base64, fullPipeline, minimalPipeline } from "./__fixtures__/pipelines.js";
import { parsePipeline, validatePipeline } from "./validate.js";
import type { ContainerRunTask, FunctionTask, RequestTask } from "./types.js";

type Json = Record<string, any>;

function issuesOf(input: unknown): Issue[] {
  const result = validatePipeline(input);
  if (result.ok) throw new Error("expected the pipeline to be invalid");
  return result.issues;
}

/** fullPipeline() changed by `change`, which may mutate it freely. */
function changed(change: (p: Json) => void): Json {
  const p = fullPipeline() as Json;
  change(p);
  return p;
}

const task = (p: Json, id: string): Json => p.tasks.find((t: Json) => t.id === id);

describe("valid pipelines", () => {
  it("applies every default to a minimal pipeline", () => {
    expect(parsePipeline(minimalPipeline())).toEqual({
      id: "p",
      env: {},
      execution_profile: {},
      archives: [],
      tasks: [
        {
          id: "a",
          type: "function",
          runtime: "bash",
          code: base64("echo hi"),
          packages: [],
          inject_api_token: false,
          depends_on: [],
          execution_profile: {},
          input: {},
          output: {},
        },
      ],
    });
  });

  it("accepts one task of each type and applies the type defaults", () => {
    const p = parsePipeline(fullPipeline());
    expect(p.tasks.map((t) => t.type)).toEqual(["image_build", "request", "function", "container_run", "tapis_job", "tapis_actor"]);
    const fetch = p.tasks[1] as RequestTask;
    expect(fetch).toMatchObject({ protocol: "https", http_method: "get", query_params: {}, headers: { accept: "application/json" } });
    const generate = p.tasks[2] as FunctionTask;
    expect(generate.depends_on).toEqual([
      { id: "fetch", can_fail: false },
      { id: "build", can_fail: true },
    ]);
    expect(generate.input.BODY!.value_from).toEqual({ task_output: { task_id: "fetch", output_id: "body" } });
    expect((p.tasks[3] as ContainerRunTask).env).toEqual({ MODE: "fast" });
    expect(p.env.TAPIS_PASSWORD).toEqual({ value_from: { secret: "tapis-password" } });
    expect(p.archives).toEqual(["my-sample-archive"]);
  });

  it("derives protocol http from the url and lowercases the method", () => {
    const p = parsePipeline({ id: "p", tasks: [{ id: "r", type: "request", url: "http://127.0.0.1:8080/x", http_method: "DeLeTe" }] });
    expect(p.tasks[0]).toMatchObject({ protocol: "http", http_method: "delete" });
  });

  it("accepts node and python runtimes with matching installers", () => {
    for (const [runtime, installer] of [
      ["node", "npm"],
      ["node20", "npm"],
      ["python3", "pip"],
      ["python3.12", "pip"],
    ]) {
      const input = { id: "p", tasks: [{ id: "f", type: "function", runtime, installer, packages: ["x"], code: base64("1") }] };
      expect(validatePipeline(input).ok).toBe(true);
    }
  });

  it("accepts a pipeline as the Tapis API returns it: metadata, flattened profile, nulls", () => {
    const p = parsePipeline({
      id: "some_pipeline_id",
      group: "c487c25f-6c6e-457d-a781-85120df9f10b",
      invocation_mode: "async",
      max_exec_time: 10800,
      max_retries: 0,
      owner: "testuser2",
      retry_policy: "exponential_backoff",
      uuid: "e48ada7a-56b4-4d48-974c-7574d51a8789",
      current_run: null,
      last_run: null,
      tasks: [
        {
          id: "build",
          cache: false,
          depends_on: [],
          description: "Build an image",
          input: null,
          invocation_mode: "async",
          max_exec_time: 3600,
          max_retries: 0,
          output: null,
          pipeline: "e48ada7a-56b4-4d48-974c-7574d51a8789",
          poll: null,
          retry_policy: "exponential_backoff",
          type: "image_build",
          uuid: "e442b5df-8a9e-4d55-b4da-c51b7241a79f",
          builder: "singularity",
          context: { type: "github", url: "a/b" },
          destination: { type: "local", filename: "x.sif" },
          auth: null,
          data: null,
          headers: null,
          http_method: null,
          protocol: null,
          query_params: null,
          url: null,
          image: null,
          tapis_job_def: null,
          tapis_actor_id: null,
        },
      ],
    });
    expect(p.execution_profile).toEqual({ invocation_mode: "async", max_exec_time: 10800, max_retries: 0, retry_policy: "exponential_backoff" });
    expect(p.tasks[0]).toEqual({
      id: "build",
      type: "image_build",
      description: "Build an image",
      builder: "singularity",
      cache: false,
      context: { type: "github", url: "a/b" },
      destination: { type: "local", filename: "x.sif" },
      depends_on: [],
      input: {},
      output: {},
      execution_profile: { invocation_mode: "async", max_exec_time: 3600, max_retries: 0, retry_policy: "exponential_backoff" },
    });
  });

  it("re-validates its own output", () => {
    const once = parsePipeline(fullPipeline());
    expect(parsePipeline(JSON.parse(JSON.stringify(once)))).toEqual(once);
  });
});

describe("invalid pipelines: each problem at its path", () => {
  const cases: [name: string, input: unknown, path: string, fragment: string][] = [
    ["not an object", "pipeline", "", "expected an object, got string"],
    ["bad pipeline id", changed((p) => (p.id = "-bad")), "id", "starting with a letter or digit"],
    ["pipeline id too long", changed((p) => (p.id = "a".repeat(129))), "id", "1-128 characters"],
    ["missing pipeline id", changed((p) => delete p.id), "id", "required field is missing"],
    ["bad task id", changed((p) => (p.tasks[0].id = "my task")), "tasks[0].id", "letters, digits"],
    ["duplicate task id", changed((p) => (p.tasks[1].id = "build")), "tasks[1].id", "duplicate task id 'build' (already used by tasks[0])"],
    ["no tasks", changed((p) => (p.tasks = [])), "tasks", "at least one task"],
    ["unknown dependency", changed((p) => (task(p, "run").depends_on = [{ id: "nope" }])), "tasks[3].depends_on[0].id", "unknown task 'nope'"],
    ["self dependency", changed((p) => (task(p, "run").depends_on = [{ id: "run" }])), "tasks[3].depends_on[0].id", "cannot depend on itself"],
    ["can_fail not boolean", changed((p) => (task(p, "run").depends_on[0].can_fail = "yes")), "tasks[3].depends_on[0].can_fail", "expected true or false, got string"],
    ["depends_on not an array", changed((p) => (task(p, "run").depends_on = "build")), "tasks[3].depends_on", "expected an array, got string"],
    ["description not a string", changed((p) => (p.tasks[0].description = 5)), "tasks[0].description", "expected a string, got number"],
    ["unknown task type", changed((p) => (p.tasks[0].type = "lambda")), "tasks[0].type", "unknown task type 'lambda'; known types: image_build, container_run"],
    ["missing task type", changed((p) => delete p.tasks[0].type), "tasks[0].type", "required field is missing"],
    ["archive format", changed((p) => (p.tasks[0].destination.archive_format = "zip")), "tasks[0].destination.archive_format", "must be oci-archive or docker-archive"],
    ["unknown pipeline field", changed((p) => (p.colour = "red")), "colour", "unknown field"],
    ["unknown task field", changed((p) => (task(p, "run").foo = 1)), "tasks[3].foo", "unknown field"],
    ["unknown profile field", changed((p) => (p.execution_profile.bar = 1)), "execution_profile.bar", "unknown field"],
    ["field of another type", changed((p) => (task(p, "run").url = "http://x")), "tasks[3].url", "unknown field"],
    // inputs and outputs
    ["input name", changed((p) => (task(p, "run").input["1BAD"] = { type: "string", value: "x" })), 'tasks[3].input["1BAD"]', "environment variables"],
    ["output name", changed((p) => (task(p, "run").output = { "-x": { type: "string" } })), 'tasks[3].output["-x"]', "file names"],
    ["input without value", changed((p) => (task(p, "run").input.X = { type: "string" })), "tasks[3].input.X", "exactly one of value or value_from, got neither"],
    ["input with both", changed((p) => (task(p, "run").input.X = { type: "string", value: "a", value_from: { params: "b" } })), "tasks[3].input.X", "got both"],
    ["input type", changed((p) => (task(p, "run").input.X = { type: "text", value: "a" })), "tasks[3].input.X.type", 'expected one of "string"'],
    ["value_from two sources", changed((p) => (task(p, "run").input.X = { type: "string", value_from: { env: "RETRIES", params: "b" } })), "tasks[3].input.X.value_from", "exactly one of env, params, task_output, secret, got env and params"],
    ["value_from unknown source", changed((p) => (task(p, "run").input.X = { type: "string", value_from: { file: "b" } })), "tasks[3].input.X.value_from.file", "unknown field"],
    ["value_from env unknown", changed((p) => (task(p, "run").input.X = { type: "string", value_from: { env: "NOPE" } })), "tasks[3].input.X.value_from.env", "pipeline env has no variable 'NOPE'"],
    [
      "task_output from a sibling",
      changed((p) => (task(p, "job").input = { X: { type: "string", value_from: { task_output: { task_id: "actor", output_id: "o" } } } })),
      "tasks[4].input.X.value_from.task_output.task_id",
      "task 'actor' is not an ancestor of 'job'",
    ],
    [
      "task_output from a descendant",
      changed((p) => (task(p, "fetch").input = { X: { type: "string", value_from: { task_output: { task_id: "run", output_id: "o" } } } })),
      "tasks[1].input.X.value_from.task_output.task_id",
      "not an ancestor",
    ],
    [
      "task_output from an unknown task",
      changed((p) => (task(p, "run").input.X = { type: "string", value_from: { task_output: { task_id: "ghost", output_id: "o" } } })),
      "tasks[3].input.X.value_from.task_output.task_id",
      "unknown task 'ghost'",
    ],
    [
      "task_output undeclared",
      changed((p) => (task(p, "run").input.X = { type: "string", value_from: { task_output: { task_id: "generate-manifests", output_id: "nope" } } })),
      "tasks[3].input.X.value_from.task_output.output_id",
      "has no output 'nope'; its outputs are: fileInputArrays, manifest.json",
    ],
    [
      "request outputs are status, headers and body",
      changed((p) => (task(p, "run").input.X = { type: "string", value_from: { task_output: { task_id: "fetch", output_id: "cookies" } } })),
      "tasks[3].input.X.value_from.task_output.output_id",
      "its outputs are: status, headers, body",
    ],
    // conditions
    ["condition unknown operator", changed((p) => (task(p, "run").conditions = [{ eq: [1, 1] }, { is: [1, 1] }])), "tasks[3].conditions[1]", "unknown operator 'is'; known operators: eq, ne, gt, lt, ge, le, in, and"],
    ["condition comparison arity", changed((p) => (task(p, "run").conditions = [{ gt: [1, 2, 3] }])), "tasks[3].conditions[0].gt", "gt compares two operands"],
    ["condition logical arity", changed((p) => (task(p, "run").conditions = [{ xor: [{ eq: [1, 1] }] }])), "tasks[3].conditions[0].xor", "two or more expressions"],
    ["condition not arity", changed((p) => (task(p, "run").conditions = [{ not: [] }])), "tasks[3].conditions[0].not", "not takes exactly one expression, got 0"],
    ["condition bad operand", changed((p) => (task(p, "run").conditions = [{ and: [{ eq: [1, 1] }, { eq: [{ param: "x" }, 1] }] }])), "tasks[3].conditions[0].and[1].eq[0]", 'expected a literal (string, number, boolean, null), {"task_output"'],
    ["conditions not a list", changed((p) => (task(p, "run").conditions = { eq: [1, 1] })), "tasks[3].conditions", "expected an array, got an object"],
    [
      "condition task_output from a sibling",
      changed((p) => (task(p, "job").conditions = [{ eq: [{ task_output: { task_id: "actor", output_id: "o" } }, "x"] }])),
      "tasks[4].conditions[0].eq[0].task_output.task_id",
      "task 'actor' is not an ancestor of 'job'",
    ],
    [
      "condition task_output from an unknown task",
      changed((p) => (task(p, "run").conditions = [{ not: { eq: [{ task_output: { task_id: "ghost", output_id: "o" } }, "x"] } }])),
      "tasks[3].conditions[0].not.eq[0].task_output.task_id",
      "unknown task 'ghost'",
    ],
    [
      "condition task_output undeclared",
      changed((p) => (task(p, "run").conditions = [{ in: ["a", [1, { task_output: { task_id: "generate-manifests", output_id: "nope" } }]] }])),
      "tasks[3].conditions[0].in[1][1].task_output.output_id",
      "task 'generate-manifests' declares no output 'nope'; its outputs are: fileInputArrays, manifest.json",
    ],
    ["condition env unknown", changed((p) => (task(p, "run").conditions = [{ eq: [{ env: "NOPE" }, 1] }])), "tasks[3].conditions[0].eq[0].env", "the pipeline env has no variable 'NOPE'"],
    ["condition env secret", changed((p) => (task(p, "run").conditions = [{ eq: [{ env: "TAPIS_PASSWORD" }, "x"] }])), "tasks[3].conditions[0].eq[0].env", "holds a secret"],
    // for_each
    ["for_each not an array", changed((p) => (task(p, "run").for_each = { value: "a,b" })), "tasks[3].for_each.value", "expected a JSON array of items, got string"],
    ["for_each too many items", changed((p) => (task(p, "run").for_each = { value: Array.from({ length: 10_001 }, (_, i) => i) })), "tasks[3].for_each.value", "at most 10000 items"],
    ["for_each both sources", changed((p) => (task(p, "run").for_each = { value: [1], value_from: { params: "L" } })), "tasks[3].for_each", "exactly one of value or value_from, got both"],
    ["for_each no source", changed((p) => (task(p, "run").for_each = { max_parallel: 2 })), "tasks[3].for_each", "exactly one of value or value_from, got neither"],
    ["for_each max_parallel zero", changed((p) => (task(p, "run").for_each = { value: [1], max_parallel: 0 })), "tasks[3].for_each.max_parallel", "at least 1"],
    ["for_each unknown field", changed((p) => (task(p, "run").for_each = { value: [1], parallel: 2 })), "tasks[3].for_each.parallel", "unknown field 'parallel'"],
    ["for_each secret", changed((p) => (task(p, "run").for_each = { value_from: { secret: "list" } })), "tasks[3].for_each.value_from.secret", "cannot read a secret"],
    ["for_each env secret", changed((p) => (task(p, "run").for_each = { value_from: { env: "TAPIS_PASSWORD" } })), "tasks[3].for_each.value_from.env", "holds a secret"],
    ["for_each env unknown", changed((p) => (task(p, "run").for_each = { value_from: { env: "NOPE" } })), "tasks[3].for_each.value_from.env", "the pipeline env has no variable 'NOPE'"],
    [
      "for_each task_output from a sibling",
      changed((p) => (task(p, "job").for_each = { value_from: { task_output: { task_id: "actor", output_id: "o" } } })),
      "tasks[4].for_each.value_from.task_output.task_id",
      "task 'actor' is not an ancestor of 'job'",
    ],
    [
      "for_each task_output undeclared",
      changed((p) => (task(p, "run").for_each = { value_from: { task_output: { task_id: "generate-manifests", output_id: "nope" } } })),
      "tasks[3].for_each.value_from.task_output.output_id",
      "has no output 'nope'; its outputs are: fileInputArrays, manifest.json",
    ],
    ["for_each ITEM input", changed((p) => ((task(p, "run").for_each = { value: [1] }), (task(p, "run").input.ITEM = { type: "string", value: "x" }))), "tasks[3].input.ITEM", "gets 'ITEM' from each item"],
    // pipeline env
    ["env value type", changed((p) => (p.env.LIST = [1])), "env.LIST", "expected a string, number, boolean or { value_from"],
    ["env value_from env", changed((p) => (p.env.TOKEN = { value_from: { env: "X" } })), "env.TOKEN.value_from", "secret, tapis-security-kernel or params"],
    ["env value_from extra field", changed((p) => (p.env.TOKEN = { value_from: { secret: "x" }, note: 1 })), "env.TOKEN.note", "unknown field"],
    // execution profile
    ["max_retries too high", changed((p) => (p.execution_profile.max_retries = 101)), "execution_profile.max_retries", "between 0 and 100"],
    ["max_retries string", changed((p) => (p.tasks[0].execution_profile = { max_retries: "3" })), "tasks[0].execution_profile.max_retries", "expected a whole number, got string"],
    ["max_retries fraction", changed((p) => (p.execution_profile.max_retries = 1.5)), "execution_profile.max_retries", "expected a whole number, got number 1.5"],
    ["retry_policy", changed((p) => (p.execution_profile.retry_policy = "sometimes")), "execution_profile.retry_policy", 'expected one of "none", "fixed", "exponential_backoff", got "sometimes"'],
    ["retry_delay negative", changed((p) => (p.execution_profile.retry_delay = -1)), "execution_profile.retry_delay", "0 or more"],
    ["max_exec_time zero", changed((p) => (p.execution_profile.max_exec_time = 0)), "execution_profile.max_exec_time", "more than 0"],
    ["invocation_mode", changed((p) => (p.execution_profile.invocation_mode = "later")), "execution_profile.invocation_mode", "expected one of"],
    ["duplicate_submission_policy", changed((p) => (p.execution_profile.duplicate_submission_policy = "x")), "execution_profile.duplicate_submission_policy", '"terminate"'],
    ["pull_policy", changed((p) => (task(p, "run").execution_profile.pull_policy = "sometimes")), "tasks[3].execution_profile.pull_policy", 'expected one of "if_not_present", "always", "never", got "sometimes"'],
    ["runtime kind", changed((p) => (p.execution_profile.runtime = "vm")), "execution_profile.runtime", '"container", "host"'],
    ["cache not boolean", changed((p) => (task(p, "run").execution_profile.cache = "yes")), "tasks[3].execution_profile.cache", "expected true or false, got string"],
    ["cache_ttl zero", changed((p) => (p.execution_profile.cache_ttl = 0)), "execution_profile.cache_ttl", "more than 0"],
    ["cache on image_build", changed((p) => (p.tasks[0].execution_profile = { cache: true })), "tasks[0].execution_profile.cache", "image_build tasks cannot be cached"],
    ["execution_profile not object", changed((p) => (p.execution_profile = 3)), "execution_profile", "expected an object, got number"],
    ["container_run on host", changed((p) => (task(p, "run").execution_profile.runtime = "host")), "tasks[3].execution_profile.runtime", "container_run always runs in a container"],
    ["container_run inherits host", changed((p) => (p.execution_profile.runtime = "host")), "execution_profile.runtime", "runtime \"host\" cannot apply to task"],
    // container_run
    ["container_run image missing", changed((p) => delete task(p, "run").image), "tasks[3].image", "required field is missing (expected a string)"],
    ["container_run image empty", changed((p) => (task(p, "run").image = "")), "tasks[3].image", "non-empty"],
    ["container_run command", changed((p) => (task(p, "run").command = 5)), "tasks[3].command", "expected a string or an array of strings, got number"],
    ["container_run env value", changed((p) => (task(p, "run").env = { A: 1 })), "tasks[3].env.A", "expected a string, got number"],
    ["container_run memory", changed((p) => (task(p, "run").memory = "lots")), "tasks[3].memory", "256m"],
    ["container_run cpus", changed((p) => (task(p, "run").cpus = 0)), "tasks[3].cpus", "more than 0"],
    // function
    ["function runtime", changed((p) => (task(p, "generate-manifests").runtime = "ruby")), "tasks[2].runtime", "python3, python3.N, node, nodeN or bash"],
    ["function runtime missing", changed((p) => delete task(p, "generate-manifests").runtime), "tasks[2].runtime", "required field is missing"],
    ["function code not base64", changed((p) => (task(p, "generate-manifests").code = "print('hi')")), "tasks[2].code", "base64"],
    ["function code empty", changed((p) => (task(p, "generate-manifests").code = "")), "tasks[2].code", "non-empty base64"],
    ["function wrong installer", changed((p) => (task(p, "generate-manifests").installer = "npm")), "tasks[2].installer", '"npm" cannot install packages for python3.9; use "pip"'],
    ["function installer missing", changed((p) => delete task(p, "generate-manifests").installer), "tasks[2].installer", 'required when packages are given: "pip"'],
    ["function installer unknown", changed((p) => (task(p, "generate-manifests").installer = "poetry")), "tasks[2].installer", 'expected one of "pip", "npm"'],
    ["bash with packages", changed((p) => Object.assign(task(p, "generate-manifests"), { runtime: "bash", installer: undefined })), "tasks[2].packages", "bash functions take no packages"],
    // request
    ["request url scheme", changed((p) => (task(p, "fetch").url = "ftp://example.org/x")), "tasks[1].url", "http:// or https:// URL"],
    ["request url missing", changed((p) => delete task(p, "fetch").url), "tasks[1].url", "required field is missing"],
    ["request method", changed((p) => (task(p, "fetch").http_method = "FETCH")), "tasks[1].http_method", 'got "fetch"'],
    ["request protocol mismatch", changed((p) => (task(p, "fetch").protocol = "http")), "tasks[1].protocol", 'does not match the url\'s scheme "https"'],
    ["request auth type", changed((p) => (task(p, "fetch").auth = { type: "digest" })), "tasks[1].auth.type", 'must be "basic" or "bearer"'],
    ["request basic auth password", changed((p) => (task(p, "fetch").auth = { type: "basic", username: "u" })), "tasks[1].auth.password", "required field is missing"],
    ["request header value", changed((p) => (task(p, "fetch").headers = { n: 1 })), "tasks[1].headers.n", "expected a string, got number"],
    ["request status codes", changed((p) => (task(p, "fetch").success_status_codes = [200, 99])), "tasks[1].success_status_codes[1]", "100-599"],
    // image_build, tapis_job, tapis_actor
    ["image_build context missing", changed((p) => delete p.tasks[0].context), "tasks[0].context", "required field is missing (expected an object)"],
    ["image_build context a uuid", changed((p) => (p.tasks[0].context = "5bd771ab-8df5-43cd-a059-fbaa2323841b")), "tasks[0].context", "expected an object, got string"],
    ["image_build builder missing", changed((p) => delete p.tasks[0].builder), "tasks[0].builder", "required field is missing"],
    ["image_build builder unknown", changed((p) => (p.tasks[0].builder = "buildkit")), "tasks[0].builder", "must be one of podman, docker, kaniko, singularity"],
    ["image_build context type", changed((p) => (p.tasks[0].context = { type: "svn", url: "a/b" })), "tasks[0].context.type", "context type must be github, git, inline, dockerhub or registry"],
    ["image_build github url", changed((p) => (p.tasks[0].context.url = "https://github.com/a/b")), "tasks[0].context.url", "must be account/repo"],
    ["image_build git url with credentials", changed((p) => (p.tasks[0].context = { type: "git", url: "https://u:p@git.example.org/a.git" })), "tasks[0].context.url", "without credentials in it"],
    ["image_build private without credentials", changed((p) => (p.tasks[0].context.visibility = "private")), "tasks[0].context.visibility", "needs identity_uuid or credentials"],
    ["image_build sub_path escapes", changed((p) => (p.tasks[0].context.sub_path = "../etc")), "tasks[0].context.sub_path", "without '..'"],
    ["image_build identity not a uuid", changed((p) => (p.tasks[0].context.identity_uuid = "mine")), "tasks[0].context.identity_uuid", "must be an identity's uuid"],
    ["image_build inline attachment", changed((p) => (p.tasks[0].context = { type: "inline", dockerfile: "FROM x", attachments: { "/etc/passwd": "eA==" } })), "tasks[0].context.attachments[\"/etc/passwd\"]", "inside the context"],
    ["image_build destination type", changed((p) => (p.tasks[0].destination = { type: "s3" })), "tasks[0].destination.type", "destination type must be dockerhub, registry or local"],
    ["image_build registry host missing", changed((p) => (p.tasks[0].destination = { type: "registry", url: "lab/tool" })), "tasks[0].destination.host", "required field is missing"],
    ["image_build repository uppercase", changed((p) => (p.tasks[0].destination = { type: "dockerhub", url: "Lab/Tool" })), "tasks[0].destination.url", "lowercase"],
    ["image_build tag", changed((p) => (p.tasks[0].destination = { type: "dockerhub", url: "lab/tool", tag: "-x" })), "tasks[0].destination.tag", "must be an image tag"],
    ["image_build inline credentials", changed((p) => (p.tasks[0].destination = { type: "dockerhub", url: "lab/tool", credentials: { username: "u" } })), "tasks[0].destination.credentials", "expected { username, token }"],
    ["tapis_job def missing", changed((p) => delete task(p, "job").tapis_job_def), "tasks[4].tapis_job_def", "required field is missing"],
    ["tapis_actor id missing", changed((p) => delete task(p, "actor").tapis_actor_id), "tasks[5].tapis_actor_id", "required field is missing"],
    ["archives", changed((p) => (p.archives = "a")), "archives", "expected an array, got string"],
    ["__proto__ as a name", changed((p) => (p.env = JSON.parse('{"__proto__": "x"}'))), "env.__proto__", "cannot be used as a name"],
  ];

  it.each(cases)("%s", (_name, input, path, fragment) => {
    const issues = issuesOf(input);
    const atPath = issues.filter((i) => i.path === path);
    expect(atPath.map((i) => i.message).join("\n"), JSON.stringify(issues, null, 1)).toContain(fragment);
  });

  it("accepts conditions on ancestors' outputs, params and env, keeping them as written (not as a one-item list)", () => {
    const conditions = [
      { eq: [{ task_output: { task_id: "fetch", output_id: "status" } }, "200"] },
      { or: [{ in: [{ args: "mode" }, ["a", "b"]] }, { not: { ge: [{ env: "RETRIES" }, 5] } }] },
    ];
    const parsed = parsePipeline(changed((p) => (task(p, "run").conditions = conditions)));
    expect(parsed.tasks.find((t) => t.id === "run")!.conditions).toEqual([conditions[0], { or: [conditions[1]!.or![0], { not: [{ ge: [{ env: "RETRIES" }, 5] }] }] }]);
    expect(parsed.tasks.find((t) => t.id === "fetch")!.conditions).toBeUndefined();
  });

  it("gives every issue a path and a message, and one problem one issue", () => {
    for (const [, input] of cases) {
      for (const issue of issuesOf(input)) {
        expect(typeof issue.path).toBe("string");
        expect(issue.message.length).toBeGreaterThan(0);
      }
    }
    expect(issuesOf(changed((p) => (task(p, "run").foo = 1)))).toHaveLength(1);
  });
});

describe("all problems at once", () => {
  it("returns each of four unrelated problems", () => {
    const input = changed((p) => {
      p.id = "bad id";
      task(p, "run").image = 42;
      task(p, "job").depends_on = [{ id: "ghost" }];
      p.execution_profile.max_retries = -1;
    });
    expect(issuesOf(input)).toEqual([
      { path: "id", message: expect.stringContaining("letters, digits") },
      { path: "tasks[3].image", message: "expected a string, got number" },
      { path: "execution_profile.max_retries", message: "must be between 0 and 100" },
      { path: "tasks[4].depends_on[0].id", message: "unknown task 'ghost'" },
    ]);
  });

  it("reports graph problems even when a task's fields are wrong", () => {
    const issues = issuesOf({
      id: "p",
      tasks: [
        { id: "a", type: "container_run", depends_on: [{ id: "b" }] },
        { id: "b", type: "container_run", image: "x", depends_on: [{ id: "a" }] },
      ],
    });
    expect(issues.map((i) => i.path)).toEqual(["tasks[0].image", "tasks[0].depends_on"]);
    expect(issues[1]!.message).toContain("dependency cycle: a -> b -> a");
  });
});

describe("dependency cycles", () => {
  const chain = (deps: Record<string, string[]>) => ({
    id: "p",
    tasks: Object.entries(deps).map(([id, on]) => ({ id, type: "tapis_actor", tapis_actor_id: "x", depends_on: on.map((d) => ({ id: d })) })),
  });

  it("of length 1 is a self-dependency", () => {
    expect(issuesOf(chain({ a: ["a"] }))).toEqual([{ path: "tasks[0].depends_on[0].id", message: "a task cannot depend on itself (dependency cycle: a -> a)" }]);
  });

  it("of length 2 and 3 is one issue naming the tasks in order", () => {
    expect(issuesOf(chain({ a: ["b"], b: ["a"] }))).toEqual([{ path: "tasks[0].depends_on", message: expect.stringContaining("dependency cycle: a -> b -> a") }]);
    expect(issuesOf(chain({ start: [], a: ["start", "c"], b: ["a"], c: ["b"] }))).toEqual([
      { path: "tasks[1].depends_on", message: expect.stringContaining("dependency cycle: a -> c -> b -> a") },
    ]);
  });

  it("accepts a diamond", () => {
    expect(validatePipeline(chain({ a: [], b: ["a"], c: ["a"], d: ["b", "c"] })).ok).toBe(true);
  });
});

describe("parsePipeline", () => {
  it("throws a ValidationError carrying every issue", () => {
    const input = changed((p) => {
      p.id = "";
      p.tasks[0].type = "x";
    });
    const err = (() => {
      try {
        parsePipeline(input);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).code).toBe("invalid_input");
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual(["id", "tasks[0].type"]);
    expect((err as ValidationError).message).toMatch(/^pipeline is invalid:\n {2}- id: /);
  });
});

describe("the task cache's fields", () => {
  it("takes cache and cache_ttl on a task or the pipeline, and lets an image_build inherit cache without an error", () => {
    const p = parsePipeline(changed((q) => Object.assign(q.execution_profile, { cache: true, cache_ttl: 60 })));
    expect(p.execution_profile).toMatchObject({ cache: true, cache_ttl: 60 });
    expect(parsePipeline(changed((q) => (task(q, "run").execution_profile.cache = true))).tasks[3]!.execution_profile.cache).toBe(true);
  });
});

describe("a pipeline-wide runtime: host", () => {
  it("is reported once against the pipeline, naming every container_run task it would apply to", () => {
    const result = validatePipeline({
      id: "p",
      execution_profile: { runtime: "host" },
      tasks: [
        { id: "a", type: "container_run", image: "busybox" },
        { id: "b", type: "container_run", image: "busybox" },
        { id: "f", type: "function", runtime: "bash", code: "dHJ1ZQ==" },
      ],
    });
    expect(result.ok).toBe(false);
    expect((result as { issues: unknown[] }).issues).toEqual([
      {
        path: "execution_profile.runtime",
        message: 'container_run always runs in a container, so runtime "host" cannot apply to tasks \'a\', \'b\': set runtime "host" on the function tasks that want it instead',
      },
    ]);
  });
});

describe("the outputs a task type produces without declaring them", () => {
  it("are the request's status, headers and body, and the image build's image, digest, tag and image_id", () => {
    const result = validatePipeline({
      id: "p",
      tasks: [
        { id: "call", type: "request", url: "https://example.org" },
        {
          id: "use",
          type: "request",
          url: "https://example.org",
          depends_on: [{ id: "call" }],
          input: Object.fromEntries(["status", "headers", "body"].map((o) => [o.toUpperCase(), { type: "string", value_from: { task_output: { task_id: "call", output_id: o } } }])),
        },
      ],
    });
    expect(result.ok, JSON.stringify(result)).toBe(true);
  });
});
