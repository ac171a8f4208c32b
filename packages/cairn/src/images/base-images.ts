/**
 * The base images a Dockerfile's FROM lines name, for offline mode: each must be in the
 * engine or the image cache before the build starts, since nothing may be pulled. Stage
 * names (`FROM base AS final` ... `FROM final`) and `scratch` are not images. ARGs given
 * before the first FROM, and build args, are substituted (`FROM ${BASE}`); a reference
 * still holding a `$` after that is left to the engine, which is told never to pull.
 */
export function baseImagesOf(dockerfile: string, buildArgs: Record<string, string>): string[] {
  const args: Record<string, string> = {};
  const stages = new Set<string>();
  const images: string[] = [];
  let seenFrom = false;
  // Continuation lines joined, comments and blank lines dropped.
  const lines = dockerfile.replace(/\\\r?\n/g, " ").split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  for (const line of lines) {
    const [instruction, ...rest] = line.split(/\s+/);
    const keyword = instruction!.toUpperCase();
    if (keyword === "ARG" && !seenFrom) {
      for (const declaration of rest) {
        const [name, ...value] = declaration.split("=");
        args[name!] = buildArgs[name!] ?? (value.length > 0 ? value.join("=").replace(/^"(.*)"$/, "$1") : "");
      }
    }
    if (keyword !== "FROM") continue;
    seenFrom = true;
    const words = rest.filter((w) => !w.startsWith("--"));
    const image = substitute(words[0] ?? "", args);
    if (words.length >= 3 && words[1]!.toUpperCase() === "AS") stages.add(words[2]!.toLowerCase());
    if (image === "" || image.toLowerCase() === "scratch" || stages.has(image.toLowerCase()) && words[0] === image) continue;
    if (image.includes("$")) continue;
    if (!images.includes(image)) images.push(image);
  }
  return images;
}

function substitute(text: string, args: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced?: string, fallback?: string, bare?: string) => {
    const name = braced ?? bare!;
    const value = args[name];
    if (value !== undefined && value !== "") return value;
    return fallback ?? whole;
  });
}

/**
 * The Dockerfile with the image of each FROM line renamed where `rename` gives a new
 * name (a group's own image, which the engine holds under its namespaced name): the
 * reference after ARG substitution is replaced whole. Stage names and `scratch` are kept.
 */
export function renameBaseImages(dockerfile: string, buildArgs: Record<string, string>, rename: (image: string) => string | undefined): string {
  const args: Record<string, string> = {};
  const stages = new Set<string>();
  let seenFrom = false;
  return dockerfile
    .split("\n")
    .map((line) => {
      const [instruction, ...rest] = line.trim().split(/\s+/);
      const keyword = (instruction ?? "").toUpperCase();
      if (keyword === "ARG" && !seenFrom) {
        for (const declaration of rest) {
          const [name, ...value] = declaration.split("=");
          args[name!] = buildArgs[name!] ?? (value.length > 0 ? value.join("=").replace(/^"(.*)"$/, "$1") : "");
        }
      }
      if (keyword !== "FROM") return line;
      seenFrom = true;
      const match = /^(\s*FROM\s+(?:--\S+\s+)*)(\S+)(.*)$/i.exec(line);
      if (!match) return line;
      const [, head, word, tail] = match as unknown as [string, string, string, string];
      const stage = /^\s+AS\s+(\S+)/i.exec(tail)?.[1];
      const image = substitute(word, args);
      const renamed = stages.has(image.toLowerCase()) || image.toLowerCase() === "scratch" ? undefined : rename(image);
      if (stage !== undefined) stages.add(stage.toLowerCase());
      return renamed === undefined ? line : `${head}${renamed}${tail}`;
    })
    .join("\n");
}
