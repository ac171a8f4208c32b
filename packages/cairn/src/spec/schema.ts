/**
 * The pipeline format as zod schemas: the shape of each field, defaults applied.
 * Rules that relate several fields or tasks (the dependency graph, value_from
 * references, installers) live in validate.ts so they are reported even when some
 * field here is wrong.
 */
import { z } from "zod";
import { parseMemory } from "./parse-memory.js";
import { parseCondition } from "./conditions.js";
import { MAX_FOR_EACH_ITEMS } from "./for-each.js";
import { tapisJobDefSchema } from "./tapis-job-def.js";
import type { Condition, EnvValue, ForEach, ImageBuilderName, Pipeline, TaskType, ValueFrom } from "./types.js";
import { describeValue } from "./describe-value.js";
import { paramsSchema } from "./params.js";

export { describeValue };

export const TASK_TYPES = ["image_build", "container_run", "function", "request", "tapis_job", "tapis_actor"] as const satisfies readonly TaskType[];
export const HTTP_METHODS = ["get", "post", "put", "patch", "delete", "head", "options"] as const;
export const INPUT_TYPES = ["string", "number", "boolean", "json", "file", "tapis_file_input", "tapis_file_input_array"] as const;

/** Tapis ids look like my-task, my.task, my_task. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const ID_RULE = "must be 1-128 characters: letters, digits, '.', '_' or '-', starting with a letter or digit";
/** Input names become environment variables in the task. */
export const INPUT_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Output names become file names in the task's output directory. */
export const OUTPUT_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
export const FUNCTION_RUNTIME_PATTERN = /^(python3(\.\d+)?|node(\d+)?|bash)$/;

/** z.int() with "expected a whole number" for every wrong type (zod says "number" for a string). */
const wholeNumber = () =>
  z.int({
    error: (iss) =>
      iss.code === "invalid_type"
        ? iss.input === undefined
          ? "required field is missing (expected a whole number)"
          : `expected a whole number, got ${describeValue(iss.input)}`
        : undefined,
  });

const isValidId = (s: string) => s.length <= 128 && ID_PATTERN.test(s);
const idSchema = z.string().refine(isValidId, { message: ID_RULE });
const nonEmpty = (what = "string") => z.string().min(1, `must be a non-empty ${what}`);
const stringMap = () => z.record(z.string(), z.string()).default(() => ({}));
const objectMap = () => z.record(z.string(), z.unknown());

function isNonEmptyBase64(code: string): boolean {
  const compact = code.replace(/\s+/g, "");
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return false;
  try {
    return atob(compact).length > 0;
  } catch {
    return false;
  }
}

function isBase64(text: string): boolean {
  const compact = text.replace(/\s+/g, "");
  return compact.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(compact);
}

function isHttpUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === "http:" || parsed.protocol === "https:") && parsed.hostname !== "";
  } catch {
    return false;
  }
}

export const executionProfileSchema = z.strictObject({
  max_retries: wholeNumber().min(0, "must be between 0 and 100").max(100, "must be between 0 and 100").optional(),
  retry_policy: z.enum(["none", "fixed", "exponential_backoff"]).optional(),
  retry_delay: z.number().min(0, "must be 0 or more seconds").optional(),
  max_exec_time: z.number().positive("must be more than 0 seconds").optional(),
  invocation_mode: z.enum(["async", "sync"]).optional(),
  duplicate_submission_policy: z.enum(["allow", "deny", "terminate"]).optional(),
  runtime: z.enum(["container", "host"]).optional(),
  pull_policy: z.enum(["if_not_present", "always", "never"]).optional(),
  cache: z.boolean().optional(),
  cache_ttl: z.number().positive("must be more than 0 seconds").optional(),
});

/** A pipeline's profile: a task's fields, plus those about its runs as a whole (issue 17). */
export const pipelineExecutionProfileSchema = executionProfileSchema.extend({
  max_concurrent_runs: wholeNumber().min(1, "must be 1 or more (leave it out for no limit)").max(100_000, "must be at most 100000").optional(),
  pending_timeout: z.number().positive("must be more than 0 seconds").optional(),
});

const VALUE_SOURCES = ["env", "params", "task_output", "secret"] as const;

/** Exactly one source, as a one-key object, so the output is the ValueFrom union. */
export const valueFromSchema = z
  .strictObject({
    env: nonEmpty("variable name").optional(),
    params: nonEmpty("parameter name").optional(),
    secret: nonEmpty("secret name").optional(),
    task_output: z.strictObject({ task_id: z.string(), output_id: nonEmpty("output name") }).optional(),
  })
  .check((ctx) => {
    const given = VALUE_SOURCES.filter((k) => ctx.value[k] !== undefined);
    if (given.length !== 1) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: `needs exactly one of ${VALUE_SOURCES.join(", ")}, got ${given.length === 0 ? "none" : given.join(" and ")}`,
      });
    }
  })
  .transform((v): ValueFrom => {
    if (v.task_output !== undefined) return { task_output: v.task_output };
    if (v.env !== undefined) return { env: v.env };
    if (v.params !== undefined) return { params: v.params };
    return { secret: v.secret ?? "" };
  });

export const taskInputSchema = z.strictObject({
  type: z.enum(INPUT_TYPES),
  description: z.string().optional(),
  value: z
    .union([z.string(), z.number(), z.boolean(), z.null()], {
      error: (iss) => `expected a string, number, boolean or null, got ${describeValue(iss.input)}`,
    })
    .optional(),
  value_from: valueFromSchema.optional(),
});

export const taskOutputSchema = z.strictObject({ type: z.string(), description: z.string().optional() });

export const dependencySchema = z.strictObject({ id: z.string(), can_fail: z.boolean().default(false) });

/** Parsed by hand (conditions.ts): a union of recursive schemas would bury the useful message. */
export const conditionSchema = z.unknown().transform((value, ctx): Condition => {
  const found: { path: readonly (string | number)[]; message: string }[] = [];
  const condition = parseCondition(value, [], found);
  for (const issue of found) ctx.addIssue({ code: "custom", path: [...issue.path], message: issue.message });
  return condition ?? z.NEVER;
});

/** `{ value: [...] }` or `{ value_from: { params | env | task_output } }`, and max_parallel. */
export const forEachSchema = z
  .strictObject({
    value: z
      .array(z.unknown(), { error: (iss) => `expected a JSON array of items, got ${describeValue(iss.input)}` })
      .max(MAX_FOR_EACH_ITEMS, `must have at most ${MAX_FOR_EACH_ITEMS} items (one task runs at most ${MAX_FOR_EACH_ITEMS} times)`)
      .optional(),
    value_from: valueFromSchema.optional(),
    max_parallel: wholeNumber().min(1, "must be at least 1").optional(),
  })
  .check((ctx) => {
    const given = (["value", "value_from"] as const).filter((k) => ctx.value[k] !== undefined);
    if (given.length !== 1) {
      ctx.issues.push({ code: "custom", input: ctx.value, message: `needs exactly one of value or value_from, got ${given.length === 0 ? "neither" : "both"}` });
    }
    // Items are named in logs and shown as inputs: a list that holds a secret would be shown with them.
    if (ctx.value.value_from !== undefined && "secret" in ctx.value.value_from) {
      ctx.issues.push({ code: "custom", input: ctx.value, path: ["value_from", "secret"], message: "for_each cannot read a secret: its items are shown in names, logs and inputs" });
    }
  })
  .transform((f) => f as ForEach);

/** Gofer's injected token: the task gets CAIRN_API_URL and a CAIRN_API_TOKEN that reads its group's pipelines, runs, logs and results and starts runs, nothing else. Process tasks only. */
const injectApiToken = z.boolean().default(false);

const taskBase = {
  id: idSchema,
  description: z.string().optional(),
  depends_on: z.array(dependencySchema).default(() => []),
  conditions: z.array(conditionSchema).optional(),
  for_each: forEachSchema.optional(),
  execution_profile: executionProfileSchema.default(() => ({})),
  input: z.record(z.string(), taskInputSchema).default(() => ({})),
  output: z.record(z.string(), taskOutputSchema).default(() => ({})),
};

export const containerRunTaskSchema = z.strictObject({
  ...taskBase,
  type: z.literal("container_run"),
  inject_api_token: injectApiToken,
  image: nonEmpty("image name"),
  image_tag: nonEmpty("tag").optional(),
  command: z
    .union([z.string(), z.array(z.string())], {
      error: (iss) => `expected a string or an array of strings, got ${describeValue(iss.input)}`,
    })
    .optional(),
  env: stringMap(),
  working_dir: z.string().optional(),
  cpus: z.number().positive("must be more than 0").optional(),
  memory: z
    .union([z.number(), z.string()], { error: (iss) => `expected bytes or a size like "256m", got ${describeValue(iss.input)}` })
    .refine((m) => parseMemory(m) !== undefined, { message: 'expected a positive number of bytes or a size like "512k", "256m", "1.5g"' })
    .optional(),
});

export const functionTaskSchema = z.strictObject({
  ...taskBase,
  type: z.literal("function"),
  inject_api_token: injectApiToken,
  runtime: z.string().regex(FUNCTION_RUNTIME_PATTERN, "must be python3, python3.N, node, nodeN or bash"),
  code: z.string().refine(isNonEmptyBase64, { message: "must be non-empty base64-encoded source code" }),
  packages: z.array(nonEmpty("package name")).default(() => []),
  installer: z.enum(["pip", "npm"]).optional(),
  command: z.string().optional(),
  entrypoint: z.string().optional(),
});

const authSchema = z.discriminatedUnion(
  "type",
  [
    z.strictObject({ type: z.literal("basic"), username: z.string(), password: z.string() }),
    z.strictObject({ type: z.literal("bearer"), token: nonEmpty("token") }),
  ],
  { error: (iss) => (iss.code === "invalid_union" ? `auth type must be "basic" or "bearer", got ${describeValue(iss.input)}` : undefined) },
);

export const requestTaskSchema = z
  .strictObject({
    ...taskBase,
    type: z.literal("request"),
    protocol: z.enum(["http", "https"]).optional(),
    http_method: z
      .string()
      .transform((m) => m.toLowerCase())
      .pipe(z.enum(HTTP_METHODS))
      .default("get"),
    url: z.string().refine(isHttpUrl, { message: "must be an http:// or https:// URL" }),
    headers: stringMap(),
    query_params: stringMap(),
    data: z.unknown().optional(),
    auth: authSchema.optional(),
    success_status_codes: z.array(wholeNumber().min(100, "must be an HTTP status 100-599").max(599, "must be an HTTP status 100-599")).optional(),
  })
  .transform((task) => ({ ...task, protocol: task.protocol ?? (task.url.startsWith("https:") ? "https" : "http") }) as const);

export const IMAGE_BUILDERS = ["podman", "docker", "kaniko", "singularity"] as const satisfies readonly ImageBuilderName[];
/** `account/repo`, as GitHub and Docker Hub name repositories. */
const ACCOUNT_REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
/** A registry repository path: lowercase components separated by `/` (the OCI distribution rule). */
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const REGISTRY_HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$/;
export const IMAGE_TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const imageTag = z.string().regex(IMAGE_TAG_PATTERN, "must be an image tag: letters, digits, _ . -, at most 128, not starting with . or -");
const registryHost = z.string().regex(REGISTRY_HOST, "must be a registry host, optionally with :port (e.g. registry.example.org:5000)");
const repository = z.string().regex(REPOSITORY, "must be a repository path in lowercase letters, digits and . _ - separated by / (e.g. lab/tool)");
/** Inside the context: no absolute paths and no `..`, so a recipe cannot reach the server's files. */
const isContextPath = (p: string) => p !== "" && !p.startsWith("/") && !p.split(/[\\/]/).includes("..");
const relativePath = (what: string) => z.string().refine(isContextPath, { message: `must be a ${what} inside the context, without '..' or a leading '/'` });
const secretField = z.string().min(1, "must not be empty");
const inlineCredentials = z.union(
  [
    z.strictObject({ username: secretField, token: secretField }),
    z.strictObject({ username: secretField, password: secretField }),
    z.strictObject({ username: secretField, personal_access_token: secretField }),
  ],
  { error: () => "expected { username, token }, { username, password } or { username, personal_access_token }" },
);
const access = {
  visibility: z.enum(["public", "private"]).optional(),
  identity_uuid: z.uuid("must be an identity's uuid").optional(),
  credentials: inlineCredentials.optional(),
};

function isCloneUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return ["http:", "https:", "git:"].includes(parsed.protocol) && parsed.hostname !== "" && parsed.username === "" && parsed.password === "";
  } catch {
    return false;
  }
}

/** A private source needs credentials from exactly one place. */
function checkAccess(ctx: { value: { visibility?: string; identity_uuid?: string; credentials?: unknown }; issues: z.core.$ZodRawIssue[] }): void {
  const { visibility, identity_uuid, credentials } = ctx.value;
  if (identity_uuid !== undefined && credentials !== undefined) {
    ctx.issues.push({ code: "custom", input: ctx.value, path: ["credentials"], message: "give identity_uuid or credentials, not both" });
  } else if (visibility === "private" && identity_uuid === undefined && credentials === undefined) {
    ctx.issues.push({ code: "custom", input: ctx.value, path: ["visibility"], message: "a private context needs identity_uuid or credentials" });
  }
}

export const imageBuildContextSchema = z.discriminatedUnion(
  "type",
  [
    z
      .strictObject({
        type: z.literal("github"),
        url: z.string().regex(ACCOUNT_REPO, "must be account/repo (resolved against CAIRN_GITHUB_URL)"),
        branch: nonEmpty("branch name").optional(),
        sub_path: relativePath("folder").nullable().optional(),
        build_file_path: relativePath("file").nullable().optional(),
        ...access,
      })
      .check(checkAccess),
    z
      .strictObject({
        type: z.literal("git"),
        url: z.string().refine(isCloneUrl, { message: "must be an http://, https:// or git:// clone URL without credentials in it" }),
        branch: nonEmpty("branch name").optional(),
        sub_path: relativePath("folder").nullable().optional(),
        build_file_path: relativePath("file").nullable().optional(),
        vcs: z.enum(["git", "mercurial"], "must be git or mercurial").optional(),
        ...access,
      })
      .check(checkAccess),
    z.strictObject({
      type: z.literal("inline"),
      dockerfile: nonEmpty("Dockerfile text"),
      attachments: z
        .record(z.string(), z.string().refine(isBase64, { message: "must be the file's content in base64" }))
        .check((ctx) => {
          // Checked here rather than as the record's key schema, whose message zod replaces with "Invalid key".
          for (const key of Object.keys(ctx.value)) {
            if (!isContextPath(key)) ctx.issues.push({ code: "custom", input: key, path: [key], message: "must be a file path inside the context, without '..' or a leading '/'" });
          }
        })
        .optional(),
      include_inbox: z.boolean().optional(),
    }),
    z.strictObject({ type: z.literal("dockerhub"), url: repository, tag: imageTag.optional(), ...access }).check(checkAccess),
    z.strictObject({ type: z.literal("registry"), host: registryHost, url: repository, tag: imageTag.optional(), ...access }).check(checkAccess),
  ],
  { error: (iss) => (iss.code === "invalid_union" ? `context type must be github, git, inline, dockerhub or registry, got ${describeValue((iss.input as { type?: unknown } | undefined)?.type)}` : undefined) },
);

export const imageBuildDestinationSchema = z.discriminatedUnion(
  "type",
  [
    z
      .strictObject({ type: z.literal("dockerhub"), url: repository, tag: imageTag.optional(), identity_uuid: access.identity_uuid, credentials: access.credentials })
      .check(checkAccess),
    z
      .strictObject({ type: z.literal("registry"), host: registryHost, url: repository, tag: imageTag.optional(), identity_uuid: access.identity_uuid, credentials: access.credentials })
      .check(checkAccess),
    z.strictObject({
      type: z.literal("local"),
      url: repository.optional(),
      tag: imageTag.optional(),
      filename: z.string().regex(OUTPUT_NAME_PATTERN, "must be a file name: letters, digits, . _ -").optional(),
      // The layout of the `filename` archive; OCI by default, as the issue asks (docker-archive for Docker engines).
      archive_format: z.enum(["oci-archive", "docker-archive"], { error: "must be oci-archive or docker-archive" }).optional(),
    }),
  ],
  { error: (iss) => (iss.code === "invalid_union" ? `destination type must be dockerhub, registry or local, got ${describeValue((iss.input as { type?: unknown } | undefined)?.type)}` : undefined) },
);

export const imageBuildTaskSchema = z.strictObject({
  ...taskBase,
  type: z.literal("image_build"),
  builder: z.enum(IMAGE_BUILDERS, {
    error: (iss) => (iss.input === undefined ? `required field is missing (one of ${IMAGE_BUILDERS.join(", ")})` : `must be one of ${IMAGE_BUILDERS.join(", ")}`),
  }),
  cache: z.boolean().optional(),
  context: imageBuildContextSchema,
  destination: imageBuildDestinationSchema,
  build_args: z.record(z.string().regex(INPUT_NAME_PATTERN, "must be a build argument name: letters, digits, _"), z.string()).optional(),
  target: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "must be a stage name").optional(),
});

export const tapisJobTaskSchema = z.strictObject({
  ...taskBase,
  type: z.literal("tapis_job"),
  tapis_job_def: tapisJobDefSchema,
  poll: z.boolean().optional(),
});

export const tapisActorTaskSchema = z.strictObject({
  ...taskBase,
  type: z.literal("tapis_actor"),
  tapis_actor_id: nonEmpty("actor id"),
  /** The message; a JSON value other than a string goes to the actor as its JSON text. Else the input MSG, else "". */
  tapis_actor_message: z.union([z.string(), z.json()], { error: "expected a string or a JSON value" }).optional(),
  poll: z.boolean().optional(),
});

export const taskSchema = z.discriminatedUnion("type", [
  containerRunTaskSchema,
  functionTaskSchema,
  requestTaskSchema,
  imageBuildTaskSchema,
  tapisJobTaskSchema,
  tapisActorTaskSchema,
]);

/** `tapis-security-kernel` is Tapis' spelling of a stored secret (its Security Kernel); here it names a secret of the group. */
const ENV_SOURCES = ["secret", "params", "tapis-security-kernel"] as const;
const ENV_RULE = "expected a string, number, boolean or { value_from: { secret | tapis-security-kernel | params: NAME } }";

/** Written by hand: a union would bury the useful message among its branches' issues. */
export const envValueSchema = z.unknown().transform((value, ctx): EnvValue => {
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value !== "object" || value === null || Array.isArray(value) || !("value_from" in value)) {
    ctx.addIssue({ code: "custom", message: `${ENV_RULE}, got ${describeValue(value)}` });
    return z.NEVER;
  }
  let ok = true;
  for (const key of Object.keys(value)) {
    if (key !== "value_from") {
      ctx.addIssue({ code: "custom", path: [key], message: `unknown field '${key}'` });
      ok = false;
    }
  }
  const from = (value as { value_from: unknown }).value_from;
  const keys = typeof from === "object" && from !== null && !Array.isArray(from) ? Object.keys(from) : [];
  const source = keys[0] as (typeof ENV_SOURCES)[number];
  const name = (from as Record<string, unknown> | null)?.[source];
  if (keys.length !== 1 || !ENV_SOURCES.includes(source) || typeof name !== "string" || name === "") {
    const got = keys.length === 0 ? describeValue(from) : `{ ${keys.join(", ")} }`;
    ctx.addIssue({
      code: "custom",
      path: ["value_from"],
      message: `a pipeline env value_from takes exactly one of secret, tapis-security-kernel or params with a non-empty name, got ${got}`,
    });
    return z.NEVER;
  }
  return ok ? { value_from: source === "params" ? { params: name } : { secret: name } } : z.NEVER;
});

export const pipelineSchema = z.strictObject({
  id: idSchema,
  description: z.string().optional(),
  tasks: z.array(taskSchema).min(1, "a pipeline needs at least one task"),
  env: z.record(z.string(), envValueSchema).default(() => ({})),
  execution_profile: pipelineExecutionProfileSchema.default(() => ({})),
  archives: z.array(nonEmpty("archive id")).default(() => []),
  /** The run parameters the pipeline takes (spec/params.ts); absent: any. */
  params: paramsSchema.optional(),
});

/** Compile-time proof that the schema produces the contract type in types.ts. */
export type PipelineSchemaOutput = z.output<typeof pipelineSchema>;
const outputIsPipeline = (parsed: PipelineSchemaOutput): Pipeline => parsed;
void outputIsPipeline;
