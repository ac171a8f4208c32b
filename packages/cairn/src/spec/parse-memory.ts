/** Binary multipliers, as Docker and Podman read `--memory 256m`. */
const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

const SIZE_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i;

/**
 * A memory limit in bytes, from a number of bytes (`512`) or a size string
 * (`"256m"`, `"1g"`, `"100k"`, `"1.5G"`, `"512MiB"`). `undefined` when the value is
 * not a positive size.
 */
export function parseMemory(value: number | string): number | undefined {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  }
  if (typeof value !== "string") return undefined;
  const match = SIZE_PATTERN.exec(value);
  if (!match) return undefined;
  const bytes = Math.floor(Number(match[1]) * (UNITS[(match[2] ?? "").toLowerCase()] ?? Number.NaN));
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}
