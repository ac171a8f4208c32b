/**
 * A JSON value as block YAML, for reading a pipeline as it would be written. Strings are
 * quoted (JSON-style, which YAML reads the same) whenever plain text could be read as
 * something else: a number, a boolean, null, or text with YAML's special characters.
 */
export function toYaml(value: unknown, indent = ""): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return value.map((item) => `${indent}- ${nested(item, indent + "  ").trimStart()}`).join("\n");
  }
  if (isObject(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return "{}";
    return entries
      .map(([key, item]) => {
        const k = scalar(key);
        if ((Array.isArray(item) && item.length > 0) || (isObject(item) && Object.keys(item).length > 0)) {
          return `${indent}${k}:\n${toYaml(item, Array.isArray(item) ? indent : indent + "  ")}`;
        }
        return `${indent}${k}: ${toYaml(item, indent + "  ")}`;
      })
      .join("\n");
  }
  return scalar(value);
}

function nested(item: unknown, indent: string): string {
  if (Array.isArray(item) && item.length > 0) return `\n${toYaml(item, indent)}`.replace(/^\n\s*/, "");
  return toYaml(item, indent);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const text = String(value);
  const plain = /^[A-Za-z_/.][A-Za-z0-9_./ -]*$/.test(text) && !/^(true|false|null|yes|no|on|off|~)$/i.test(text) && !text.endsWith(" ") && !text.includes(" #") && !text.includes(": ");
  return plain ? text : JSON.stringify(text);
}
