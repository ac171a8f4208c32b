import { DeleteObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { Readable } from "node:stream";
import { ArchivingError, safeSegments, type ArchiveTarget } from "./archive-target.js";

export interface S3Options {
  endpoint: string;
  bucket: string;
  region: string;
  /** Key prefix of the system; `/`-separated like a path. */
  rootDir: string;
  archiveDir: string;
  credentials: S3Credentials;
  /** What owns these settings, for messages: `system 'x'` or `archive 'y'`. */
  owner: string;
  /** Part size of multipart uploads (S3's minimum, 5 MiB, by default). */
  partSizeBytes?: number;
}

/** What an identity of type `s3` holds. */
export interface S3Credentials {
  access_key_id: string;
  secret_access_key: string;
}

/** S3's smallest part size; a stream is held in memory one or two parts at a time. */
const PART_SIZE = 5 * 1024 * 1024;

/** Refusals of the key itself: another try with the same key is refused the same way. */
const REFUSED_KEY: Record<string, string> = {
  SignatureDoesNotMatch: "the secret access key does not match the access key id",
  InvalidAccessKeyId: "the access key id is not known there",
  AccessDenied: "the key may not write there",
  InvalidToken: "the key is not valid",
  ExpiredToken: "the key has expired",
};

/**
 * Opens ROOT_DIR/ARCHIVE_DIR as a key prefix of a bucket. Nothing is sent until the first
 * write: S3 has no folders, and the write check that follows every open is the first
 * request (a probe object written and deleted) and reports a refused key or a missing
 * bucket plainly.
 */
export async function openS3Target(options: S3Options): Promise<ArchiveTarget> {
  const { endpoint, bucket } = options;
  const prefix = [...safeSegments(options.rootDir, "root_dir"), ...safeSegments(options.archiveDir, "archive_dir")];
  const keyOf = (path: string) => [...prefix, ...safeSegments(path, "path")].join("/");
  const client = new S3Client({
    endpoint,
    region: options.region,
    credentials: { accessKeyId: options.credentials.access_key_id, secretAccessKey: options.credentials.secret_access_key },
    // Buckets in the path, not the host name: S3-compatible servers (Swift, MinIO, Ceph) are
    // reached by one host name. Checksums only where S3 requires them: otherwise the SDK
    // sends streams as aws-chunked with a trailing CRC32, which Swift refuses with
    // NotImplemented (infra-recipes.md section 4).
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // A server that stops answering fails the try rather than hanging the archiving.
    requestHandler: { connectionTimeout: 10_000, socketTimeout: 120_000 },
  });
  const fail = (what: string, key: string, err: unknown) =>
    s3Failure(err, { owner: options.owner, endpoint, bucket, credentials: { access_key_id: options.credentials.access_key_id }, what: `${what} s3://${bucket}/${key}` });

  return {
    location: `s3://${bucket}${prefix.length > 0 ? `/${prefix.join("/")}` : ""}`,
    // S3 has no folders: a key's prefix exists as soon as the key does.
    async mkdir() {},
    async writeFile(path, content: Buffer | Readable) {
      const key = keyOf(path);
      try {
        if (Buffer.isBuffer(content)) {
          await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: content, ContentLength: content.length }));
        } else {
          // Length unknown: parts of PART_SIZE as the stream is read (one PutObject when it
          // is shorter), two in flight; a failed multipart upload is aborted, not left behind.
          await new Upload({ client, params: { Bucket: bucket, Key: key, Body: content }, partSize: options.partSizeBytes ?? PART_SIZE, queueSize: 2 }).done();
        }
      } catch (err) {
        // A file being read must not stay open after the upload gave up on it.
        if (!Buffer.isBuffer(content)) content.destroy();
        throw fail("writing", key, err);
      }
    },
    async remove(path) {
      const key = keyOf(path);
      try {
        // Deleting a missing key succeeds in S3.
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (err) {
        throw fail("deleting", key, err);
      }
    },
    async close() {
      client.destroy();
    },
  };
}

/**
 * An S3 failure as an ArchivingError, with whether to try again as data: a refused key or
 * a missing bucket fails at once, with the system and endpoint named; a connection that
 * fails or a server error (5xx, throttling) may pass.
 */
export function s3Failure(err: unknown, context: { owner: string; endpoint: string; bucket: string; credentials: Pick<S3Credentials, "access_key_id">; what: string }): ArchivingError {
  const where = `${context.owner} at ${context.endpoint}`;
  const metadata = (err as { $metadata?: { httpStatusCode?: number } }).$metadata;
  if (metadata === undefined) {
    // Not from the SDK: reading the file being written failed, for one.
    return new ArchivingError("internal", `${context.what} for ${where} failed: ${(err as Error).message}`, { retryable: true, cause: err });
  }
  const status = metadata.httpStatusCode;
  const code = err instanceof S3ServiceException ? err.name : (err as { Code?: string; name?: string }).Code;
  if (code !== undefined && Object.hasOwn(REFUSED_KEY, code)) {
    return new ArchivingError(code === "AccessDenied" ? "forbidden" : "unauthenticated", `${where} refused access key '${context.credentials.access_key_id}' (${code}): ${REFUSED_KEY[code]}`, {
      retryable: false,
      cause: err,
    });
  }
  if (code === "NoSuchBucket") {
    return new ArchivingError("not_found", `${where} has no bucket '${context.bucket}'`, { retryable: false, cause: err });
  }
  if (status === undefined) {
    // No answer at all: refused or dropped connection, unknown host, timeout.
    return new ArchivingError("runtime_unavailable", `cannot reach ${where}: ${(err as Error).message}`, { retryable: true, cause: err });
  }
  const busy = status >= 500 || status === 429 || code === "SlowDown" || code === "RequestTimeout";
  return new ArchivingError(busy ? "runtime_unavailable" : "forbidden", `${context.what} on ${where} failed with ${status}${code ? ` ${code}` : ""}: ${(err as Error).message}`, {
    retryable: busy,
    cause: err,
  });
}
