import { access, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TaskFailure } from "../errors.js";
import type { ImageDetails, ImageEngine } from "./image-engine.js";

/**
 * The materialization cache (wfexs' container factories): images saved as docker-archive
 * files named by their id, `sha256-HEX.tar`, so a file's name is its fingerprint, and an
 * index of the names each was saved under. A container whose image the engine lacks is
 * loaded from here (nothing is pulled for containers); in offline mode, a pull-and-retag
 * build context is too, instead of the registry.
 */

const INDEX = "names.json";

export interface CachedImage {
  digest: string;
  file: string;
  names: string[];
}

export class ImageCache {
  constructor(readonly dir: string) {}

  fileFor(digest: string): string {
    return join(this.dir, `${digest.replace(":", "-")}.tar`);
  }

  /** Saves an image of the engine (by name or id); a digest cached already is not written again. */
  async save(engine: ImageEngine, image: string): Promise<CachedImage & { details: ImageDetails; written: boolean }> {
    const details = await engine.inspect(image);
    if (!details) throw new TaskFailure(`the container engine has no image '${image}'`, { retryable: false });
    await mkdir(this.dir, { recursive: true });
    const file = this.fileFor(details.id);
    const written = !(await exists(file));
    if (written) {
      // Written aside and renamed: a half-written archive never carries a digest's name.
      const partial = `${file}.partial-${process.pid}`;
      try {
        await engine.save(image, partial);
        await rename(partial, file);
      } finally {
        await rm(partial, { force: true });
      }
    }
    const names = [...new Set([...(image.startsWith("sha256:") ? [] : [image]), ...details.repoTags])];
    const index = await this.readIndex();
    for (const name of names) index[name] = details.id;
    await this.writeIndex(index);
    return { digest: details.id, file, names, details, written };
  }

  /** Loads an archive (from the cache or anywhere) into the engine; answers the image it holds. */
  async load(engine: ImageEngine, file: string): Promise<CachedImage & { details: ImageDetails }> {
    const loaded = await engine.load(file);
    const first = loaded[0];
    const details = first === undefined ? undefined : await engine.inspect(first);
    if (!details) throw new TaskFailure(`loading ${file} gave the engine no image it can name (${loaded.join(", ") || "nothing"})`, { retryable: false });
    return { digest: details.id, file, names: details.repoTags, details };
  }

  /** The cached archive saved under this name or digest, if any. */
  async find(image: string): Promise<string | undefined> {
    const digest = image.startsWith("sha256:") ? image : (await this.readIndex())[image];
    if (digest === undefined) return undefined;
    const file = this.fileFor(digest);
    return (await exists(file)) ? file : undefined;
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

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
