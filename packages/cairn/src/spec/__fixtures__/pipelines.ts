/** Valid pipelines in the submitted (JSON) form, shared by the spec tests. */

export const base64 = (source: string): string => Buffer.from(source).toString("base64");

/** One task of each type, wired together with inputs from outputs, env and params. */
export function fullPipeline(): Record<string, unknown> {
  return {
    id: "full.pipeline_1",
    description: "every task type",
    env: {
      TAPIS_SYSTEM_ID: "tapisv3-exec",
      RETRIES: 3,
      VERBOSE: true,
      TAPIS_PASSWORD: { value_from: { secret: "tapis-password" } },
      BASE_URL: { value_from: { params: "base_url" } },
    },
    execution_profile: { max_retries: 2, retry_policy: "fixed", max_exec_time: 600 },
    archives: ["my-sample-archive"],
    tasks: [
      {
        id: "build",
        type: "image_build",
        builder: "kaniko",
        cache: false,
        context: { type: "github", url: "account/repo", branch: "main", build_file_path: "Dockerfile", sub_path: null },
        destination: { type: "local", filename: "image.tar" },
      },
      {
        id: "fetch",
        type: "request",
        url: "https://example.org/data.json",
        http_method: "GET",
        headers: { accept: "application/json" },
        auth: { type: "bearer", token: "t0ken" },
      },
      {
        id: "generate-manifests",
        type: "function",
        runtime: "python3.9",
        installer: "pip",
        packages: ["tapipy==1.2.20"],
        code: base64("print('hi')"),
        depends_on: [{ id: "fetch" }, { id: "build", can_fail: true }],
        input: {
          TAPIS_SYSTEM_ID: { type: "string", value_from: { env: "TAPIS_SYSTEM_ID" } },
          TARGET_DIR: { type: "string", value: "target/dir" },
          TAPIS_BASE_URL: { type: "string", value_from: { params: "base_url" } },
          BODY: { type: "json", value_from: { task_output: { task_id: "fetch", output_id: "body" } } },
          IMAGE: { type: "string", value_from: { task_output: { task_id: "build", output_id: "image" } } },
        },
        output: { fileInputArrays: { type: "tapis_file_input_array" }, "manifest.json": { type: "string" } },
      },
      {
        id: "run",
        type: "container_run",
        image: "localhost/busybox",
        image_tag: "test",
        command: ["sh", "-c", "cat $MANIFEST"],
        env: { MODE: "fast" },
        memory: "256m",
        cpus: 0.5,
        depends_on: [{ id: "generate-manifests" }],
        execution_profile: { max_retries: 0, max_exec_time: 30 },
        input: {
          MANIFEST: { type: "string", value_from: { task_output: { task_id: "generate-manifests", output_id: "manifest.json" } } },
          FROM_FETCH: { type: "string", value_from: { task_output: { task_id: "fetch", output_id: "status" } } },
        },
      },
      { id: "job", type: "tapis_job", tapis_job_def: { appId: "hello", appVersion: "1" }, poll: true, depends_on: [{ id: "run" }] },
      { id: "actor", type: "tapis_actor", tapis_actor_id: "my_actor_id", depends_on: [{ id: "run" }] },
    ],
  };
}

/** The smallest valid pipeline. */
export function minimalPipeline(): Record<string, unknown> {
  return { id: "p", tasks: [{ id: "a", type: "function", runtime: "bash", code: base64("echo hi") }] };
}
