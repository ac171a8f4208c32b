import { describe, expect, it } from "vitest";
import { ArchivingError } from "./archives/archive-target.js";
import { CairnError, isRetryable, NotFoundError, RuntimeUnavailableError, TaskFailure } from "./errors.js";

describe("isRetryable", () => {
  it("takes a failure that says whether it is retryable at its word", () => {
    expect(isRetryable(new TaskFailure("exit 1"))).toBe(true);
    expect(isRetryable(new TaskFailure("bad recipe", { retryable: false }))).toBe(false);
    expect(isRetryable(new ArchivingError("invalid_input", "a refused key", { retryable: false }))).toBe(false);
    // Its own word wins over its code.
    expect(isRetryable(new ArchivingError("invalid_input", "busy", { retryable: true }))).toBe(true);
  });

  it("does not retry what the input, the configuration or a missing image decided", () => {
    expect(isRetryable(new CairnError("invalid_input", "a NUL in a path"))).toBe(false);
    expect(isRetryable(new CairnError("config_invalid", "no such setting"))).toBe(false);
    expect(isRetryable(new CairnError("image_not_found", "image 'x' is not there"))).toBe(false);
  });

  it("retries anything else: other Cairn errors, plain errors, things thrown that are no error", () => {
    expect(isRetryable(new RuntimeUnavailableError("podman does not answer"))).toBe(true);
    expect(isRetryable(new NotFoundError("run", "r1"))).toBe(true);
    expect(isRetryable(new Error("ECONNRESET"))).toBe(true);
    expect(isRetryable("a string")).toBe(true);
    expect(isRetryable(undefined)).toBe(true);
  });
});
