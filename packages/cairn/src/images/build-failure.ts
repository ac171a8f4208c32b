import { TaskFailure } from "../errors.js";

/**
 * The recipe failed (a RUN step exited non-zero, a FROM image is missing, a Dockerfile
 * line is wrong), as opposed to Cairn or the engine failing. Kabuto's build states tell
 * the two apart (FAILED vs FAILURE), and retrying a broken recipe does not help.
 */
export class BuildFailure extends TaskFailure {
  override name = "BuildFailure";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message.startsWith(BUILD_FAILED) ? message : `${BUILD_FAILED}${message}`, { retryable: false, ...options });
  }
}

/**
 * Every BuildFailure's message starts with this, so a stored attempt's message alone
 * tells a failed recipe (kabuto's FAILED) from Cairn failing (FAILURE).
 */
export const BUILD_FAILED = "the image build failed: ";

/** By name, so it is recognised across module copies (errors.ts's rule). */
export function isBuildFailure(err: unknown): err is BuildFailure {
  return err instanceof Error && err.name === "BuildFailure";
}
