/**
 * Type tests: each `@ts-expect-error` line is a shape the SDK's types must reject; if one
 * starts to compile, `npm run typecheck` fails on the unused directive. Checked by tsc
 * (packages/sdk/tsconfig.check.json), never run: vitest only runs `*.test.ts`.
 */
import { expectTypeOf } from "vitest";
import {
  fromEnv,
  fromParam,
  pipeline,
  secret,
  task,
  taskOutput,
  type ContainerRunTaskBuilder,
  type PipelineJson,
  type RequestTaskBuilder,
  type TaskJson,
} from "./index.js";

const image = task("img", "container_run").image("localhost/busybox:test");

// The task type picks the builder, and with it the fields that can be set.
expectTypeOf(task("t", "container_run")).toEqualTypeOf<ContainerRunTaskBuilder<"image">>();
expectTypeOf(task("t", "request").url("https://example.org")).toEqualTypeOf<RequestTaskBuilder<never>>();
// @ts-expect-error not a task type
task("t", "shell");
// @ts-expect-error runtime belongs to function tasks
task("t", "container_run").runtime("python3");
// @ts-expect-error image belongs to container_run tasks
task("t", "function").image("busybox");
// @ts-expect-error url belongs to request tasks
task("t", "container_run").url("https://example.org");
// @ts-expect-error builder belongs to image_build tasks
task("t", "request").builder("kaniko");
// @ts-expect-error poll belongs to tapis_job and tapis_actor tasks
task("t", "container_run").image("x").poll();
// @ts-expect-error a container_run always runs in a container
task("t", "container_run").executionProfile({ runtime: "host" });
task("t", "function").executionProfile({ runtime: "host" });

// Required fields: a builder missing one is not a task yet.
// @ts-expect-error no image
pipeline("p").tasks(task("t", "container_run"));
// @ts-expect-error no code
pipeline("p").tasks(task("t", "function").runtime("bash"));
// @ts-expect-error no runtime
pipeline("p").tasks(task("t", "function").code("echo hi"));
// @ts-expect-error no url
pipeline("p").tasks(task("t", "request").method("POST"));
// @ts-expect-error no destination
pipeline("p").tasks(task("t", "image_build").builder("kaniko").context({ type: "github", url: "a/b" }));
// @ts-expect-error no job definition
pipeline("p").tasks(task("t", "tapis_job").poll());
// @ts-expect-error no actor id
pipeline("p").tasks(task("t", "tapis_actor"));
// @ts-expect-error toJSON only on complete tasks
task("t", "container_run").description("no image").toJSON();
// Setting required fields in any order, with optional ones between, completes the task.
pipeline("p").tasks(image, task("f", "function").code("echo").description("d").runtime("bash"));
expectTypeOf(task("t", "tapis_actor").tapisActorId("a").toJSON()).toExtend<TaskJson>();

// Field values the types can rule out.
// @ts-expect-error not a runtime Cairn knows
task("t", "function").runtime("ruby");
// @ts-expect-error pip or npm
task("t", "function").installer("conda");
// @ts-expect-error only http(s) URLs
task("t", "request").url("ftp://example.org/file");
// @ts-expect-error not an HTTP method
task("t", "request").method("TRACE");
// @ts-expect-error auth needs a token for bearer
task("t", "request").auth({ type: "bearer" });
// @ts-expect-error not a memory size
task("t", "container_run").memory("lots");
// @ts-expect-error local is a destination, not a context
task("t", "image_build").context({ type: "local" });
// @ts-expect-error not a retry policy
pipeline("p").executionProfile({ retryPolicy: "sometimes" });

// Inputs: a literal value or one value_from source, never both or two sources.
image.input("A", { type: "string", value: "x" });
image.inputFrom("A", fromEnv("A")).inputFrom("B", fromParam("b")).inputFrom("C", secret("c")).inputFrom("D", taskOutput("t", "o"));
image.inputFrom("E", { task_output: { task_id: "t", output_id: "o" } }, { type: "json" });
// @ts-expect-error value_from belongs to inputFrom
image.input("A", { type: "string", value: "x", value_from: { env: "A" } });
// @ts-expect-error a literal needs a value
image.input("A", { type: "string" });
// @ts-expect-error two sources
image.inputFrom("A", { env: "A", params: "a" });
// @ts-expect-error two sources
image.inputFrom("A", { secret: "s", task_output: { task_id: "t", output_id: "o" } });
// @ts-expect-error not a source
image.inputFrom("A", { file: "/etc/passwd" });
// @ts-expect-error task_output needs output_id
image.inputFrom("A", { task_output: { task_id: "t" } });
// @ts-expect-error not an input type
image.inputFrom("A", fromEnv("A"), { type: "date" });

// Pipeline env: literals, secrets and run parameters only.
pipeline("p").env({ A: "x", B: 1, C: true, D: secret("d"), E: fromParam("e") });
// @ts-expect-error an env value cannot come from another env variable
pipeline("p").env({ A: fromEnv("B") });
// @ts-expect-error nor from a task output
pipeline("p").env({ A: taskOutput("t", "o") });
// @ts-expect-error nor from two sources
pipeline("p").env({ A: { secret: "s", params: "p" } });
// @ts-expect-error nor be an object
pipeline("p").env({ A: { nested: "x" } });

// The output is the API's JSON shape.
expectTypeOf(pipeline("p").tasks(image).build()).toEqualTypeOf<PipelineJson>();
expectTypeOf<PipelineJson["tasks"][number]["type"]>().toEqualTypeOf<"container_run" | "function" | "request" | "image_build" | "tapis_job" | "tapis_actor">();
