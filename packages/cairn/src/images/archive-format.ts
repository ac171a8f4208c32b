import { open, type FileHandle } from "node:fs/promises";
import type { ArchiveFormat } from "./image-engine.js";

/**
 * What an image archive holds, from its tar headers: an `oci-layout` file marks an OCI
 * image layout, a `manifest.json` a docker archive. Only the 512-byte headers are read and
 * each entry's content is skipped by its size, so a large archive costs a few reads.
 */
export async function archiveFormatOf(file: string): Promise<ArchiveFormat | undefined> {
  return withEntries(file, async (path) => (path === "oci-layout" ? "oci-archive" : path === "manifest.json" ? "docker-archive" : undefined));
}

/**
 * The image id an OCI archive loads as: the digest of its image's configuration (index.json
 * -> manifest -> config). It differs from the id of the image it was saved from when that
 * image was in Docker's format (Podman's compatible /build makes those): the conversion to
 * OCI rewrites the configuration, so the id an OCI file is keyed by must be read from it.
 */
export async function ociImageIdOf(file: string): Promise<string | undefined> {
  const index = JSON.parse((await readEntry(file, "index.json")) ?? "null") as { manifests?: Array<{ digest?: string }> } | null;
  const manifestDigest = index?.manifests?.[0]?.digest;
  if (!manifestDigest) return undefined;
  const manifest = JSON.parse((await readEntry(file, blobPath(manifestDigest))) ?? "null") as { config?: { digest?: string } } | null;
  return manifest?.config?.digest;
}

function blobPath(digest: string): string {
  const [algorithm, hex] = digest.split(":");
  return `blobs/${algorithm}/${hex}`;
}

async function readEntry(file: string, wanted: string): Promise<string | undefined> {
  return withEntries(file, async (path, size, handle, offset) => {
    if (path !== wanted) return undefined;
    const content = Buffer.alloc(size);
    await handle.read(content, 0, size, offset);
    return content.toString("utf8");
  });
}

/** Walks the tar's entries until `visit` answers something. */
async function withEntries<T>(file: string, visit: (path: string, size: number, handle: FileHandle, offset: number) => Promise<T | undefined>): Promise<T | undefined> {
  const handle = await open(file, "r");
  try {
    const header = Buffer.alloc(512);
    let position = 0;
    for (;;) {
      const { bytesRead } = await handle.read(header, 0, 512, position);
      if (bytesRead < 512 || header.every((b) => b === 0)) return undefined;
      const field = (start: number, end: number) => header.subarray(start, end).toString("latin1").replace(/\0.*$/s, "");
      const name = field(0, 100);
      const prefix = field(345, 500);
      const path = (prefix ? `${prefix}/${name}` : name).replace(/^\.\//, "");
      const size = parseInt(field(124, 136).trim() || "0", 8) || 0;
      const answer = await visit(path, size, handle, position + 512);
      if (answer !== undefined) return answer;
      position += 512 + Math.ceil(size / 512) * 512;
    }
  } finally {
    await handle.close();
  }
}
