import { S3ServiceException } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { s3Failure } from "./s3-target.js";

/** The mapping from S3 failures to archiving errors; s3-target.int.test.ts checks the real answers of a server. */
describe("s3Failure", () => {
  const context = { owner: "S3 system 'b'", endpoint: "https://s3.example.org", bucket: "results", credentials: { access_key_id: "AKIA1" }, what: "writing s3://results/k" };
  const answer = (name: string, status: number) => new S3ServiceException({ name, $fault: status < 500 ? "client" : "server", $metadata: { httpStatusCode: status }, message: `${name} from the server` });

  it("fails a refused key at once, naming the system, endpoint and key id", () => {
    for (const [name, code] of [["SignatureDoesNotMatch", "unauthenticated"], ["InvalidAccessKeyId", "unauthenticated"], ["AccessDenied", "forbidden"]] as const) {
      const err = s3Failure(answer(name, 403), context);
      expect(err).toMatchObject({ name: "ArchivingError", code, retryable: false });
      expect(err.message).toMatch(new RegExp(`^S3 system 'b' at https://s3\\.example\\.org refused access key 'AKIA1' \\(${name}\\): `));
    }
  });

  it("fails a missing bucket and other refusals at once", () => {
    expect(s3Failure(answer("NoSuchBucket", 404), context)).toMatchObject({ code: "not_found", retryable: false, message: "S3 system 'b' at https://s3.example.org has no bucket 'results'" });
    expect(s3Failure(answer("InvalidArgument", 400), context)).toMatchObject({ retryable: false, message: "writing s3://results/k on S3 system 'b' at https://s3.example.org failed with 400 InvalidArgument: InvalidArgument from the server" });
  });

  it("tries again after server errors, throttling and lost connections", () => {
    for (const [name, status] of [["InternalError", 500], ["ServiceUnavailable", 503], ["SlowDown", 503], ["TooManyRequests", 429], ["RequestTimeout", 400]] as const) {
      expect(s3Failure(answer(name, status), context), name).toMatchObject({ code: "runtime_unavailable", retryable: true });
    }
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED", $metadata: { attempts: 3 } });
    expect(s3Failure(refused, context)).toMatchObject({ code: "runtime_unavailable", retryable: true, message: "cannot reach S3 system 'b' at https://s3.example.org: connect ECONNREFUSED 127.0.0.1:1" });
  });

  it("tells a failure to read the file apart from one of S3", () => {
    const unreadable = Object.assign(new Error("EACCES: permission denied, open '/x'"), { code: "EACCES" });
    expect(s3Failure(unreadable, context)).toMatchObject({ retryable: true, message: "writing s3://results/k for S3 system 'b' at https://s3.example.org failed: EACCES: permission denied, open '/x'" });
  });
});
