/**
 * The image catalog: every image Cairn built, pulled, loaded or ran, per group, keyed by
 * its id (the sha256 of its configuration, the same on every engine that holds it), with
 * its names and how it was made; and queries that follow an image to the task
 * executions that used it. Operations only, like Store.
 */

/** How the catalog first learned of an image; a stronger origin replaces a weaker one. */
export type ImageOrigin = "built" | "pulled" | "loaded" | "seen";
export const IMAGE_ORIGIN_RANK: Record<ImageOrigin, number> = { seen: 0, loaded: 1, pulled: 2, built: 3 };

/** What an image was made from. */
export interface ImageRecipe {
  source: "git" | "mercurial" | "inline" | "pull";
  gitUrl?: string;
  branch?: string;
  commit?: string;
  subPath?: string;
  /** The Dockerfile's path in the context, and the sha256 of its content. */
  dockerfile?: string;
  dockerfileSha256?: string;
  buildArgs?: Record<string, string>;
  /** For a pull: the reference it came from. */
  pulledFrom?: string;
}

export interface BadMark {
  reason: string;
  at: number;
  by: string;
}

export interface ImageRecord {
  groupId: string;
  /** `sha256:…`: the image id. */
  digest: string;
  /** `repository:tag` names and `repository@sha256:…` registry digests, oldest first. */
  names: string[];
  origin: ImageOrigin;
  /** When the image was made (the engine's `Created`), ms. */
  createdAt: number;
  /** When the catalog first recorded it, ms. */
  recordedAt: number;
  architecture: string | null;
  os: string | null;
  sizeBytes: number | null;
  /** The builder the task asked for (`podman`, `kaniko`, ...). */
  builder: string | null;
  /** The engine that built or pulled it, `Podman Engine 4.3.1`. */
  engine: string | null;
  recipe: ImageRecipe | null;
  /** The run and task that built or pulled it. */
  runUuid: string | null;
  taskId: string | null;
  bad: BadMark | null;
  /**
   * The group made this image (built it, or pulled it with credentials) and the engine
   * held it under no one else's name before: other groups may run it only once an admin
   * of the group shares it (images/image-access.ts). Never undone by a later record.
   */
  owned: boolean;
}

/** `owned` defaults to false: a sighting, a public pull or a load claims nothing. */
export type NewImage = Omit<ImageRecord, "bad" | "owned"> & { owned?: boolean };

/** An image a group made, opened to another group by one of its admins. */
export interface ImageShare {
  /** The group that made the image. */
  groupId: string;
  digest: string;
  sharedWith: string;
  /** The admin's login. */
  sharedBy: string;
  createdAt: number;
}

/** What the catalog knows that decides whether a group may run an image (images/image-access.ts). */
export interface ImageAccessFacts {
  /** The group itself built, pulled or loaded the image. */
  madeHere: boolean;
  /** Groups that own the image (ImageRecord.owned). */
  owners: string[];
  /** Owners that shared it with the group. */
  sharedBy: string[];
}

export interface ImageFilter {
  /** A `repository:tag` (or `repository@sha256:…`) name the image carries. */
  name?: string;
  gitUrl?: string;
  /** A full commit sha, or a prefix of at least 7 characters. */
  gitCommit?: string;
  badOnly?: boolean;
  limit?: number;
}

/** One task execution that ran in (or built) an image. */
export interface ImageUse {
  runUuid: string;
  pipelineId: string;
  taskId: string;
  executionUuid: string;
  attempt: number;
  status: string;
  runStatus: string;
  startedAt: number | null;
}

/** A run made again because an image it used was marked bad. */
export interface Supersession {
  oldRunUuid: string;
  newRunUuid: string;
  imageDigest: string;
  reason: string;
  createdAt: number;
}

export interface ImageCatalog {
  /**
   * Records an image, or adds to what is known of it: new names are added, empty fields
   * filled, and a stronger origin (built > pulled > loaded > seen) with its recipe wins.
   */
  recordImage(image: NewImage): Promise<void>;
  getImage(groupId: string, digest: string): Promise<ImageRecord | undefined>;
  /**
   * An image by `sha256:…` (its id, or a registry digest it was pushed as) or by
   * `repository[:tag]` (`latest` when no tag is given): of several with that name, the
   * newest by created time wins, as arvados resolves `repo:tag`.
   */
  resolveImage(groupId: string, spec: string): Promise<ImageRecord | undefined>;
  /** Newest first. */
  listImages(groupId: string, filter?: ImageFilter): Promise<ImageRecord[]>;
  /** @throws NotFoundError when the group has no such image */
  markBad(groupId: string, digest: string, mark: BadMark): Promise<void>;
  /** Executions of the group's runs that recorded this image, oldest first. */
  listUses(groupId: string, digest: string): Promise<ImageUse[]>;
  recordSupersession(supersession: Supersession): Promise<void>;
  /** Whether the group made the image, who owns it, and which owners shared it with the group. */
  accessFacts(groupId: string, digest: string): Promise<ImageAccessFacts>;
  /** Adds or renews a share. @throws NotFoundError when the group made no such image, or the other group does not exist */
  shareImage(share: ImageShare): Promise<void>;
  /** Resolves false when there was no such share. */
  unshareImage(groupId: string, digest: string, sharedWith: string): Promise<boolean>;
  /** The groups the group's image is shared with, oldest share first. */
  listShares(groupId: string, digest: string): Promise<ImageShare[]>;
  /** Shares other groups made with this one, newest first. */
  listSharedWith(groupId: string): Promise<ImageShare[]>;
  /** Where the run is the old or the new one, oldest first. */
  listSupersessions(runUuid: string): Promise<Supersession[]>;
}
