import { access, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TaskFailure } from "../errors.js";
import { ociImageIdOf } from "./archive-format.js";
import type { ArchiveFormat, ImageDetails, ImageEngine } from "./image-engine.js";
import { canonicalImageName } from "./image-reference.js";

/**
 * The materialization cache (wfexs' container factories): images saved as archive files
 * named by their id, `sha256-HEX.tar` (docker-archive) or `sha256-HEX.oci.tar`
 * (oci-archive), so a file's name is its fingerprint and says its layout, and an index of
 * the names each was saved under. A container whose image the engine lacks is
 * loaded from here (nothing is pulled for containers); in offline mode, a pull-and-retag
 * build context is too, instead of the registry.
 */

const INDEX = "names.json";
/** Index keys `oci-from:ID` say which id the OCI archive of engine image ID loads as. */
const OCI_FROM = "oci-from:";

export interface CachedImage {
  digest: string;
  file: string;
  names: string[];
}

export class ImageCache {
  constructor(readonly dir: string) {}

  fileFor(digest: string, format: ArchiveFormat = "docker-archive"): string {
    return join(this.dir, `${digest.replace(":", "-")}${format === "oci-archive" ? ".oci" : ""}.tar`);
  }

  /** Saves an image of the engine (by name or id); a digest cached already in that format is not written again. */
  async save(engine: ImageEngine, image: string, format: ArchiveFormat = "docker-archive"): Promise<CachedImage & { details: ImageDetails; written: boolean; format: ArchiveFormat }> {
    const details = await engine.inspect(image);
    if (!details) throw new TaskFailure(`the container engine has no image '${image}'`, { retryable: false });
    await mkdir(this.dir, { recursive: true });
    // The id the archive loads as: the image's own for docker archives; read from an OCI
    // archive, whose conversion may have rewritten the configuration (archive-format.ts).
    let digest = details.id;
    let file = this.fileFor(digest, format);
    const index = await this.readIndex();
    const known = index[`${OCI_FROM}${details.id}`];
    if (format === "oci-archive" && known !== undefined) file = this.fileFor((digest = known), format);
    const written = !(await exists(file));
    if (written) {
      // Written aside and renamed: a half-written archive never carries a digest's name.
      const partial = join(this.dir, `.partial-${process.pid}-${Date.now()}.tar`);
      try {
        await engine.save(image, partial, format);
        if (format === "oci-archive") {
          digest = (await ociImageIdOf(partial)) ?? details.id;
          file = this.fileFor(digest, format);
          index[`${OCI_FROM}${details.id}`] = digest;
        }
        await rename(partial, file);
      } finally {
        await rm(partial, { force: true });
      }
    }
    const names = [...new Set([...(image.startsWith("sha256:") ? [] : [image]), ...details.repoTags])];
    for (const name of names) index[name] = digest;
    await this.writeIndex(index);
    return { digest, file, names, details, written, format };
  }

  /** Loads an archive (from the cache or anywhere) into the engine; answers the image it holds. */
  async load(engine: ImageEngine, file: string): Promise<CachedImage & { details: ImageDetails }> {
    const loaded = await engine.load(file);
    const first = loaded[0];
    const details = first === undefined ? undefined : await engine.inspect(first);
    if (!details) throw new TaskFailure(`loading ${file} gave the engine no image it can name (${loaded.join(", ") || "nothing"})`, { retryable: false });
    return { digest: details.id, file, names: details.repoTags, details };
  }

  /** The id of the image saved under this name (or this digest, if saved), if any: what a container would load. */
  async digestOf(image: string): Promise<string | undefined> {
    const digest = image.startsWith("sha256:") ? image : indexed(await this.readIndex(), image);
    return digest !== undefined && (await this.find(digest)) !== undefined ? digest : undefined;
  }

  /** The cached archive saved under this name or digest, if any. */
  async find(image: string): Promise<string | undefined> {
    const digest = image.startsWith("sha256:") ? image : indexed(await this.readIndex(), image);
    if (digest === undefined) return undefined;
    for (const format of ["docker-archive", "oci-archive"] as const) {
      const file = this.fileFor(digest, format);
      if (await exists(file)) return file;
    }
    return undefined;
  }

  private async readIndex(): Promise<Record<string, string>> {
    const text = await readFile(join(this.dir, INDEX), "utf8").catch(() => "{}");
    try {
      return JSON.parse(text) as Record<string, string>;
    } catch {
      return {};
    }
  }

  private async writeIndex(index: Record<string, string>): Promise<void> {
    const path = join(this.dir, INDEX);
    await writeFile(`${path}.tmp`, JSON.stringify(index, null, 2));
    await rename(`${path}.tmp`, path);
  }
}

/**
 * The digest saved under a name, by that spelling or by its canonical name (`busybox`
 * and `docker.io/library/busybox:latest` are one image; images/image-reference.ts).
 */
function indexed(index: Record<string, string>, image: string): string | undefined {
  if (Object.hasOwn(index, image)) return index[image];
  const canonical = canonicalImageName(image);
  if (Object.hasOwn(index, canonical)) return index[canonical];
  return Object.entries(index).find(([name]) => !name.startsWith(OCI_FROM) && canonicalImageName(name) === canonical)?.[1];
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
