/** One Server-Sent Event: its type (`message` when unnamed), data and id, as the stream sent them. */
export interface ServerSentEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/**
 * Reads a `text/event-stream` body into events, following the WHATWG rules for the parts
 * Cairn's server uses: `event`, `data` (several lines joined with `\n`), `id`, comment
 * lines, and any of `\r\n`, `\n`, `\r` ending a line. An event not ended by a blank line
 * when the stream closes is dropped, as the standard says.
 */
export async function* readEventStream(body: AsyncIterable<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  let event = "";
  let data: string[] = [];
  let id: string | undefined;
  for await (const line of linesOf(body)) {
    if (line === "") {
      if (data.length > 0) yield { event: event || "message", data: data.join("\n"), id };
      event = "";
      data = [];
      continue;
    }
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id" && !value.includes("\0")) id = value;
  }
}

/** Decoded lines, whichever of `\r\n`, `\n`, `\r` ends them and wherever the chunks split. */
async function* linesOf(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (;;) {
      const end = buffer.search(/\r\n|\n|\r/);
      // A \r last in the buffer may be the first half of a \r\n: wait for the next chunk.
      if (end < 0 || (end === buffer.length - 1 && buffer[end] === "\r")) break;
      yield buffer.slice(0, end);
      buffer = buffer.slice(buffer.startsWith("\r\n", end) ? end + 2 : end + 1);
    }
  }
  buffer += decoder.decode();
  // The stream is over: a last \r ends its line after all.
  if (buffer.endsWith("\r")) yield* buffer.slice(0, -1).split(/\r\n|\n|\r/);
}
