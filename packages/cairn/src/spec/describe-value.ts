/** "a string", "an array", "null"...: what a value is, for messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number" && !Number.isInteger(value)) return `number ${value}`;
  if (typeof value === "object") return "an object";
  return typeof value;
}
