import { describe, expect, it } from "vitest";
import { isCairnError } from "../errors.js";
import { ApiError } from "./api-error.js";

describe("ApiError", () => {
  it("carries the status, message, code and issues of the server's envelope", () => {
    const envelope = { success: false, status: 400, message: "pipeline is invalid", result: { code: "invalid_input", issues: [{ path: "tasks[0].image", message: "required" }] } };
    const error = ApiError.fromResponse(new Response(null, { status: 400 }), envelope);
    expect(error).toMatchObject({ name: "ApiError", status: 400, message: "pipeline is invalid", code: "invalid_input", issues: [{ path: "tasks[0].image", message: "required" }] });
    expect(isCairnError(error)).toBe(true);
  });

  it("falls back on the status for a code it does not know, and on the body for a message", () => {
    const fromProxy = ApiError.fromResponse(new Response(null, { status: 502, statusText: "Bad Gateway" }), "<html>upstream down</html>");
    expect(fromProxy).toMatchObject({ status: 502, code: "internal", message: "HTTP 502 Bad Gateway: <html>upstream down</html>" });
    const unknown = ApiError.fromResponse(new Response(null, { status: 404 }), { success: false, status: 404, message: "gone", result: { code: "vanished" } });
    expect(unknown).toMatchObject({ code: "not_found", message: "gone" });
    expect(new ApiError(401, "expired")).toMatchObject({ code: "unauthenticated", issues: [] });
  });
});
