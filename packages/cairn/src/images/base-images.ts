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
