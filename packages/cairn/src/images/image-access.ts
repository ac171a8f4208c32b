import { TaskFailure } from "../errors.js";
import type { ImageAccessFacts, ImageCatalog } from "../store/image-catalog.js";
import type { ImageCache } from "./image-cache.js";
import type { ImageEngine } from "./image-engine.js";
import { ownEngineName } from "./image-namespace.js";
import { canonicalImageName } from "./image-reference.js";

/**
 * Which images a group's tasks may run (issue 21, finding 2; ARCHITECTURE.md "Security
 * model"): its own; those no group owns (the operator's, such as `localhost/busybox:test`,
 * and public images pulled from a registry); and those an admin of an owning group
 * shared with it. By name or by digest alike, since a digest names one image in the
 * shared engine whoever made it.
 */

/** What a task handler gets to ask of the catalog: its own run's group only. */
export interface GroupImages {
  readonly groupId: string;
  accessFacts(digest: string): Promise<ImageAccessFacts>;
  /** The image (`sha256:…`) the group itself built, pulled or loaded under this name or digest; the newest of several. */
  madeImage(reference: string): Promise<string | undefined>;
}

export function groupImages(catalog: ImageCatalog, groupId: string): GroupImages {
  return {
    groupId,
    accessFacts: (digest) => catalog.accessFacts(groupId, digest),
    madeImage: async (reference) => {
      // `busybox` finds what the catalog recorded as `docker.io/library/busybox:latest` (a pull's name), and the other way round.
      const canonical = canonicalImageName(reference);
      const image = (await catalog.resolveImage(groupId, reference)) ?? (canonical === reference ? undefined : await catalog.resolveImage(groupId, canonical));
      return image && image.origin !== "seen" ? image.digest : undefined;
    },
  };
}

/** For a handler run without a catalog (tested alone): the group "local", which made nothing and may run anything it names. */
export function uncataloguedImages(groupId = "local"): GroupImages {
  return { groupId, accessFacts: async () => ({ madeHere: false, owners: [], sharedBy: [] }), madeImage: async () => undefined };
}

export function mayRun(facts: ImageAccessFacts): boolean {
  return facts.madeHere || facts.owners.length === 0 || facts.sharedBy.length > 0;
}

/**
 * Refuses an image the group may not run, naming the image and the groups that own it.
 * @throws TaskFailure (not retryable)
 */
export async function checkImageAccess(images: GroupImages, reference: string, digest: string): Promise<void> {
  const facts = await images.accessFacts(digest);
  if (mayRun(facts)) return;
  const owners = facts.owners.map((g) => `'${g}'`).join(", ");
  const named = reference === digest ? `image ${digest}` : `image '${reference}' (${digest})`;
  throw new TaskFailure(
    `${named} belongs to group ${owners}, which has not shared it with group '${images.groupId}': ` +
      `an admin of ${owners} can share it (POST /v3/workflows/groups/GROUP/images/DIGEST/shares), or this group can pull or build its own`,
    { retryable: false },
  );
}

export interface RunnableImage {
  /** What to hand the container runtime: a name, or an image id when only the id is sure. */
  image: string;
  /** The image id, when the engine has the image now. */
  id?: string;
}

/**
 * The image a task of the group runs for a reference it names:
 * 1. the group's own image of that name in its namespace (`myimg:1` is
 *    `localhost/cairn/GROUP/myimg:1`), which only the group can have made;
 * 2. the newest image the group's catalog says it made under that name, by id, so a
 *    name another build moved since cannot change what runs;
 * 3. otherwise the engine's image by that name or digest, if the group may run it.
 * An image the engine lacks is left to the runtime (the image cache, or image_not_found),
 * after the cache's record of it is checked the same way.
 */
export async function resolveRunnableImage(
  engine: Pick<ImageEngine, "inspect">,
  images: GroupImages,
  reference: string,
  cache?: Pick<ImageCache, "digestOf">,
): Promise<RunnableImage> {
  const own = ownEngineName(images.groupId, reference);
  if (own !== undefined) {
    const details = await engine.inspect(own);
    if (details) return { image: own, id: details.id };
    // Saved to the image cache under the group's own name: the runtime loads it from there.
    if ((await cache?.digestOf(own)) !== undefined) return { image: own };
  }
  const made = await images.madeImage(reference);
  const present = await engine.inspect(reference);
  if (made !== undefined && present?.id !== made && (await engine.inspect(made))) return { image: made, id: made };
  if (present) {
    await checkImageAccess(images, reference, present.id);
    return { image: reference, id: present.id };
  }
  const cached = await cache?.digestOf(reference);
  if (cached !== undefined) await checkImageAccess(images, reference, cached);
  return { image: reference };
}
