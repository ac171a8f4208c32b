/**
 * examples/hello-pipeline.yaml at the repository root, written with the SDK: `greet`
 * runs first; `shout` and `count` run side by side on its output; `report` joins them.
 */
import { fromEnv, fromParam, pipeline, task, taskOutput } from "@cairn/sdk";

const greet = task("greet", "container_run")
  .image("localhost/busybox")
  .imageTag("test")
  .command(["sh", "-c", 'echo "$GREETING, $AUDIENCE" | tee /cairn/outputs/message'])
  .inputFrom("GREETING", fromParam("greeting"))
  .inputFrom("AUDIENCE", fromEnv("AUDIENCE"))
  .output("message", { type: "string" });

/** Busybox with a shell command, reading the greeting as its input MESSAGE. */
const onGreeting = (id: string, script: string) =>
  task(id, "container_run")
    .image("localhost/busybox:test")
    .command(["sh", "-c", script])
    .dependsOn(greet)
    .inputFrom("MESSAGE", taskOutput(greet, "message"));

const shout = onGreeting("shout", "tr a-z A-Z < /cairn/inputs/MESSAGE | tee /cairn/outputs/loud").output("loud", { type: "string" });
const count = onGreeting("count", "wc -w < /cairn/inputs/MESSAGE | tr -d ' ' | tee /cairn/outputs/words").output("words", { type: "string" });

const report = task("report", "container_run")
  .image("localhost/busybox:test")
  .dependsOn(shout)
  .dependsOn(count)
  // $(cat ...) drops the trailing newline each upstream output file ends with.
  .command(["sh", "-c", 'echo "$(cat /cairn/inputs/LOUD) ($(cat /cairn/inputs/WORDS) words)" | tee /cairn/outputs/report'])
  .inputFrom("LOUD", taskOutput(shout, "loud"))
  .inputFrom("WORDS", taskOutput(count, "words"))
  .output("report", { type: "string" });

export default pipeline("hello-pipeline")
  .description("A greeting passed between containers through declared inputs and outputs")
  .env({ AUDIENCE: "research computing" })
  .executionProfile({ maxExecTime: 60, maxRetries: 1, retryPolicy: "fixed" })
  .tasks(greet, shout, count, report);
