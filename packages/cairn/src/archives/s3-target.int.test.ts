import { HeadObjectCommand, ListMultipartUploadsCommand, ListPartsCommand } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSwift, type TestSwift } from "../../../../test/support/swift.js";
import { checkWritable } from "./archive-target.js";
import { openS3Target, type S3Options } from "./s3-target.js";

/** Against OpenStack Swift with s3api (Debian), which verifies signatures, on private loopback ports. */
describe("S3 archive target", () => {
  let swift: TestSwift;
  const bucket = "cairn-results";
  const options = (overrides: Partial<S3Options> = {}): S3Options => ({
    endpoint: swift.endpoint,
    bucket,
    region: swift.region,
    rootDir: "lab/",
    archiveDir: "/workflows/archive/",
    credentials: { access_key_id: swift.accessKeyId, secret_access_key: swift.secretAccessKey },
    owner: "S3 system 'bucket'",
    ...overrides,
  });

  beforeAll(async () => {
    swift = await startSwift();
    await swift.createBucket(bucket);
  });
  afterAll(async () => {
    await swift?.close();
  });

  it("writes buffers and streams under root_dir/archive_dir, and its write check leaves nothing behind", async () => {
    const target = await openS3Target(options());
    try {
      expect(target.location).toBe(`s3://${bucket}/lab/workflows/archive`);
      await checkWritable(target, "run-1");
      await target.mkdir("run-1/task/output");
      await target.writeFile("run-1/task/output/.stdout", Buffer.from("hello\n"));
      await target.writeFile("run-1/task/output/.stderr", Buffer.alloc(0));
      await target.writeFile("run-1/task/output/small", Readable.from([Buffer.from("a "), Buffer.from("stream")]));
      await target.writeFile("run-1/task/output/empty", Readable.from([]));
    } finally {
      await target.close();
    }
    const objects = await swift.objects(bucket, "lab/workflows/archive/");
    expect(Object.keys(objects).sort()).toEqual(["run-1/task/output/.stderr", "run-1/task/output/.stdout", "run-1/task/output/empty", "run-1/task/output/small"]);
    expect(objects["run-1/task/output/empty"]!.length).toBe(0);
    expect(objects["run-1/task/output/.stdout"]!.toString()).toBe("hello\n");
    expect(objects["run-1/task/output/.stderr"]!.length).toBe(0);
    expect(objects["run-1/task/output/small"]!.toString()).toBe("a stream");
  });

  it("streams a multi-megabyte file of unknown length as a multipart upload, never holding it whole", async () => {
    const MiB = 1024 * 1024;
    const total = 22 * MiB; // parts of 5, 5, 5, 5 and 2 MiB
    const key = "big/run/t/output/data.bin";
    const expected = createHash("sha256");
    const client = swift.client();
    let partsDoneAt18MiB = -1;
    async function* body() {
      for (let produced = 0; produced < total; produced += MiB) {
        if (produced === 18 * MiB) {
          // Reading the fourth part: the first ones must already be on the server.
          const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
          const uploadId = uploads.Uploads?.[0]?.UploadId;
          partsDoneAt18MiB = uploadId ? ((await client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))).Parts ?? []).length : 0;
        }
        const piece = Buffer.alloc(MiB, produced % 251);
        expected.update(piece);
        yield piece;
      }
    }
    try {
      const target = await openS3Target(options({ rootDir: "", archiveDir: "big" }));
      try {
        await target.writeFile("run/t/output/data.bin", Readable.from(body()));
      } finally {
        await target.close();
      }
      // At most two parts are held while they go up (queueSize 2), so at 18 MiB read, 2 or more are stored.
      expect(partsDoneAt18MiB).toBeGreaterThanOrEqual(2);
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ContentLength).toBe(total);
      // A multipart object's ETag ends in -PARTS.
      expect(head.ETag).toMatch(/-5"$/);
      expect((await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
    } finally {
      client.destroy();
    }
    const stored = (await swift.objects(bucket, "big/"))["run/t/output/data.bin"]!;
    expect(createHash("sha256").update(stored).digest("hex")).toBe(expected.digest("hex"));
  });

  it("reports a wrong secret at once, naming the system and endpoint, as not worth retrying", async () => {
    const target = await openS3Target(options({ credentials: { access_key_id: swift.accessKeyId, secret_access_key: "not-the-secret" } }));
    try {
      await expect(checkWritable(target, "run-2")).rejects.toMatchObject({
        name: "ArchivingError",
        code: "unauthenticated",
        retryable: false,
        message: `S3 system 'bucket' at ${swift.endpoint} refused access key '${swift.accessKeyId}' (SignatureDoesNotMatch): the secret access key does not match the access key id`,
      });
      await expect(target.writeFile("x", Readable.from([Buffer.from("streamed")]))).rejects.toMatchObject({ retryable: false, code: "unauthenticated" });
    } finally {
      await target.close();
    }
    expect(await swift.objects(bucket, "lab/workflows/archive/run-2")).toEqual({});
  });

  it("reports a missing bucket as not worth retrying, and a server that is not there as worth it", async () => {
    const missing = await openS3Target(options({ bucket: "no-such-bucket" }));
    try {
      await expect(checkWritable(missing, "")).rejects.toMatchObject({ retryable: false, code: "not_found", message: `S3 system 'bucket' at ${swift.endpoint} has no bucket 'no-such-bucket'` });
    } finally {
      await missing.close();
    }
    const gone = await openS3Target(options({ endpoint: "http://127.0.0.1:1" }));
    try {
      await expect(checkWritable(gone, "")).rejects.toMatchObject({ retryable: true, code: "runtime_unavailable", message: expect.stringMatching(/^cannot reach S3 system 'bucket' at http:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/) });
    } finally {
      await gone.close();
    }
  });

  it("refuses paths that climb out of the prefix", async () => {
    await expect(openS3Target(options({ archiveDir: "a/../../b" }))).rejects.toMatchObject({ code: "invalid_input" });
  });
});
