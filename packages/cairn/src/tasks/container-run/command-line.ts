import { parse } from "shell-quote";
import { TaskFailure } from "../../errors.js";

/**
 * Splits a `command` string into argv as a shell would (quotes, escapes), without
 * running a shell: Tapis' `command` replaces ENTRYPOINT and CMD, and the image may
 * not have a shell. Pipes, redirections and `$VAR` need an explicit `sh -c '…'`.
 */
export function commandArgv(command: string | string[]): string[] {
  if (Array.isArray(command)) return command;
  const argv: string[] = [];
  for (const token of parse(command, (name) => `$${name}`)) {
    if (typeof token !== "string") {
      throw new TaskFailure(
        `command '${command}' uses shell syntax (${"op" in token ? token.op : "a comment"}); write it as: sh -c '…'`,
        { retryable: false },
      );
    }
    argv.push(token);
  }
  if (argv.length === 0) throw new TaskFailure("command is empty", { retryable: false });
  return argv;
}

/** `image` + `image_tag` as one reference; a tag or digest already in `image` wins. */
export function imageReference(image: string, tag: string | undefined): string {
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  if (image.includes("@") || lastSegment.includes(":")) return image;
  return `${image}:${tag ?? "latest"}`;
}
