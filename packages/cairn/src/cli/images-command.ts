import { join } from "node:path";
import type { Image, RunProvenance } from "../client/cairn-client.js";
import type { CairnConfig, ClientConfig } from "../config.js";
import { ValidationError } from "../errors.js";
import { ARCHIVE_FORMATS, type ArchiveFormat } from "../images/image-engine.js";
import { parseGroupId, parseRunUuid } from "./arguments.js";
import type { CommandIo } from "./command-io.js";
import { connect } from "./server-connection.js";

/**
 * `cairn images ls|inspect|mark-bad` and `cairn rerun --affected-by` against a server's
 * image catalog, `cairn provenance RUN`, and the local `cairn images save|load` (the
 * materialization cache) and `cairn doctor`.
 */

const DIGEST = /^sha256:[0-9a-f]{64}$/;

function isArchiveFormat(text: string): text is ArchiveFormat {
  return (ARCHIVE_FORMATS as readonly string[]).includes(text);
}

export async function imagesListCommand(groupText: string, options: { name?: string; commit?: string; bad?: boolean; limit: string }, config: ClientConfig, io: CommandIo): Promise<number> {
  const { client } = await connect(config);
  const images = await client.listImages(parseGroupId(groupText), {
    ...(options.name ? { name: options.name } : {}),
    ...(options.commit ? { commit: options.commit } : {}),
    ...(options.bad ? { bad: true } : {}),
    limit: Number(options.limit) || 100,
  });
  io.out.write(io.json ? images.map((i) => JSON.stringify(i) + "\n").join("") : formatImages(images));
  return 0;
}

export async function imagesInspectCommand(groupText: string, ref: string, config: ClientConfig, io: CommandIo): Promise<number> {
  const { client } = await connect(config);
  const image = await client.inspectImage(parseGroupId(groupText), ref);
  io.out.write(JSON.stringify(image, null, io.json ? undefined : 2) + "\n");
  return 0;
}

export async function imagesMarkBadCommand(groupText: string, ref: string, options: { reason?: string }, config: ClientConfig, io: CommandIo): Promise<number> {
  if (!options.reason) throw new ValidationError("mark-bad", [{ path: "--reason", message: "say why the image is bad" }]);
  const { client } = await connect(config);
  const groupId = parseGroupId(groupText);
  const digest = DIGEST.test(ref) ? ref : (await client.inspectImage(groupId, ref)).digest;
  const { image, uses } = await client.markImageBad(groupId, digest, options.reason);
  if (io.json) io.out.write(JSON.stringify({ image, uses }) + "\n");
  else {
    const runs = [...new Set(uses.map((u) => u.run_uuid))];
    io.out.write(`marked ${image.digest} bad: ${options.reason}\n${runs.length} run(s) used it${runs.length > 0 ? ":" : ""}\n`);
    for (const u of uses) io.out.write(`  ${u.run_uuid}  ${u.pipeline_id}/${u.task_id} (attempt ${u.attempt}, ${u.status})\n`);
    if (runs.length > 0) io.out.write(`re-run them with: cairn rerun --affected-by ${image.digest} --group ${groupId} --rebuild (or --image REPLACEMENT)\n`);
  }
  return 0;
}

export async function rerunAffectedCommand(ref: string, options: { group?: string; image?: string; rebuild?: boolean }, config: ClientConfig, io: CommandIo): Promise<number> {
  if (!options.group) throw new ValidationError("rerun", [{ path: "--group", message: "name the group whose runs used the image" }]);
  if (Boolean(options.image) === Boolean(options.rebuild)) throw new ValidationError("rerun", [{ path: "--image", message: "give --image REPLACEMENT or --rebuild, one of them" }]);
  const { client } = await connect(config);
  const groupId = parseGroupId(options.group);
  const digest = DIGEST.test(ref) ? ref : (await client.inspectImage(groupId, ref)).digest;
  const started = await client.rerunAffected(groupId, digest, options.image ? { image: options.image } : { rebuild: true });
  for (const s of started) {
    io.out.write(io.json ? JSON.stringify(s) + "\n" : `run ${s.run.uuid} of ${s.run.group_id}/${s.run.pipeline_id} supersedes ${s.supersedes}: ${s.changes.join("; ")}\n`);
  }
  return 0;
}

export async function provenanceCommand(runText: string, config: ClientConfig, io: CommandIo): Promise<number> {
  const { client } = await connect(config);
  const provenance = await client.provenance(await client.findRun(parseRunUuid(runText)));
  io.out.write(io.json ? JSON.stringify(provenance) + "\n" : formatProvenance(provenance));
  return 0;
}

/** `cairn images save IMAGE [--format oci-archive]`: into the materialization cache, as `sha256-HEX.tar` or `sha256-HEX.oci.tar`. */
export async function imagesSaveCommand(image: string, options: { format?: string }, config: CairnConfig, io: CommandIo): Promise<number> {
  const format = options.format ?? "docker-archive";
  if (!isArchiveFormat(format)) throw new ValidationError("images save", [{ path: "--format", message: `must be ${ARCHIVE_FORMATS.join(" or ")}, got '${format}'` }]);
  const { engine, cache } = await localImages(config);
  const saved = await cache.save(engine, image, format);
  io.out.write(io.json ? JSON.stringify({ digest: saved.digest, file: saved.file, format: saved.format, names: saved.names, written: saved.written }) + "\n" : `${saved.digest}  ${saved.file}${saved.written ? "" : " (cached already)"}\n`);
  return 0;
}

/** `cairn images load FILE`: into the engine, the cache under its digest, and the local catalog. */
export async function imagesLoadCommand(file: string, config: CairnConfig, io: CommandIo): Promise<number> {
  const { engine, cache } = await localImages(config);
  const { archiveFormatOf } = await import("../images/archive-format.js");
  const loaded = await cache.load(engine, file);
  // Kept in the cache in the layout it came in.
  const saved = await cache.save(engine, loaded.digest, (await archiveFormatOf(file)) ?? "docker-archive");
  // Recorded in this machine's catalog (the group "local" of `cairn run`), as every image Cairn loads.
  const { createStore } = await import("../store/create-store.js");
  const store = await createStore({ databaseUrl: config.databaseUrl, sqlitePath: join(config.dataDir, "cairn.db") });
  try {
    const created = Date.parse(loaded.details.created);
    await store.images.recordImage({
      groupId: "local",
      digest: loaded.digest,
      names: loaded.names,
      origin: "loaded",
      createdAt: Number.isFinite(created) ? created : Date.now(),
      recordedAt: Date.now(),
      architecture: loaded.details.architecture,
      os: loaded.details.os,
      sizeBytes: loaded.details.size,
      builder: null,
      engine: null,
      recipe: null,
      runUuid: null,
      taskId: null,
    });
  } finally {
    await store.close();
  }
  io.out.write(io.json ? JSON.stringify({ digest: loaded.digest, names: loaded.names, file: saved.file, format: saved.format }) + "\n" : `loaded ${loaded.digest} (${loaded.names.join(", ") || "no names"})\n`);
  return 0;
}

/** `cairn doctor`: the container engine Cairn would use, and the image settings. */
export async function doctorCommand(config: CairnConfig, io: CommandIo): Promise<number> {
  const { resolveEngine } = await import("../docker-api/engine-endpoint.js");
  const { DockerImageEngine } = await import("../images/docker-image-engine.js");
  const resolved = await resolveEngine(config);
  const engine = await new DockerImageEngine(resolved.docker).describe();
  const report = {
    engine: { ...engine, endpoint: resolved.endpoint },
    image_cache: config.imageCacheDir,
    offline: config.offline,
    github_url: config.githubUrl,
    dockerhub_registry: config.dockerhubRegistry,
    insecure_registries: config.insecureRegistries,
  };
  if (io.json) io.out.write(JSON.stringify(report) + "\n");
  else {
    io.out.write(`engine: ${engine.name} ${engine.version} (API ${engine.apiVersion}), ${engine.os}/${engine.arch}, at ${resolved.endpoint}\n`);
    io.out.write(`image cache: ${config.imageCacheDir}${config.offline ? " (offline mode: nothing is pulled or pushed)" : ""}\n`);
    io.out.write(`github: ${config.githubUrl}; docker hub: ${config.dockerhubRegistry}; plain-HTTP registries: ${config.insecureRegistries.join(", ") || "none"}\n`);
  }
  return 0;
}

async function localImages(config: CairnConfig) {
  const { DockerImageEngine } = await import("../images/docker-image-engine.js");
  const { ImageCache } = await import("../images/image-cache.js");
  return { engine: await DockerImageEngine.connect(config), cache: new ImageCache(config.imageCacheDir) };
}

function formatImages(images: readonly Image[]): string {
  if (images.length === 0) return "no images\n";
  const rows = images.map((i) => [i.digest.slice(0, 19), i.names.find((n) => !n.includes("@")) ?? "-", i.origin, i.recipe?.commit?.slice(0, 7) ?? "-", i.created_at.replace("T", " ").replace(/\.\d+Z$/, "Z"), i.bad ? `BAD: ${i.bad.reason}` : ""]);
  const head = ["DIGEST", "NAME", "ORIGIN", "COMMIT", "CREATED (UTC)", ""];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  return [head, ...rows].map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd()).join("\n") + "\n";
}

function formatProvenance(p: RunProvenance): string {
  const lines = [`run ${p.run.uuid} of ${p.run.group_id}/${p.run.pipeline_id}: ${p.run.status}`];
  for (const t of p.tasks) {
    lines.push(`  task ${t.task_id}: ${t.status ?? "not started"}${Object.keys(t.outputs).length > 0 ? `, outputs ${Object.keys(t.outputs).join(", ")}` : ""}`);
    if (t.image_digest) {
      const i = t.image;
      lines.push(`    image ${t.image_digest}${i ? ` (${i.names[0] ?? "no name"}, ${i.origin}${i.bad ? `, BAD: ${i.bad.reason}` : ""})` : ""}`);
      const r = i?.recipe;
      if (r?.source === "git" || r?.source === "mercurial") lines.push(`    recipe ${r.dockerfile ?? "Dockerfile"} (${r.dockerfile_sha256 ?? "?"}) from ${r.git_url} at commit ${r.commit} (${r.branch})`);
      else if (r?.source === "inline") lines.push(`    recipe: an inline Dockerfile (${r.dockerfile_sha256 ?? "?"})`);
      else if (r?.source === "pull") lines.push(`    pulled from ${r.pulled_from}`);
    }
  }
  if (p.superseded_by.length > 0) lines.push(`  superseded by ${p.superseded_by.join(", ")}`);
  if (p.supersedes.length > 0) lines.push(`  supersedes ${p.supersedes.join(", ")}`);
  return lines.join("\n") + "\n";
}
