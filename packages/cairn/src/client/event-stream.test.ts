import { describe, expect, it } from "vitest";
import { readEventStream, type ServerSentEvent } from "./event-stream.js";

async function eventsOf(...chunks: string[]): Promise<ServerSentEvent[]> {
  const encoder = new TextEncoder();
  async function* body() {
    for (const chunk of chunks) yield encoder.encode(chunk);
  }
  const events: ServerSentEvent[] = [];
  for await (const event of readEventStream(body())) events.push(event);
  return events;
}

describe("readEventStream", () => {
  it("reads named events with their ids, as Cairn's log stream sends them", async () => {
    const stream = 'id: 1\nevent: line\ndata: {"line":"a"}\n\nid: 2\nevent: line\ndata: {"line":"b"}\n\nevent: end\ndata: {"status":"succeeded"}\n\n';
    expect(await eventsOf(stream)).toEqual([
      { event: "line", data: '{"line":"a"}', id: "1" },
      { event: "line", data: '{"line":"b"}', id: "2" },
      { event: "end", data: '{"status":"succeeded"}', id: "2" },
    ]);
  });

  it("joins events split anywhere across chunks, multi-byte characters included", async () => {
    // One byte per chunk: "é" and "✔" arrive in pieces.
    const bytes = new TextEncoder().encode("event: line\ndata: héllo ✔\n\n");
    async function* body() {
      for (const b of bytes) yield new Uint8Array([b]);
    }
    const events: ServerSentEvent[] = [];
    for await (const event of readEventStream(body())) events.push(event);
    expect(events).toEqual([{ event: "line", data: "héllo ✔", id: undefined }]);
  });

  it("accepts CRLF and CR line ends, also split between chunks", async () => {
    expect(await eventsOf("data: a\r", "\n\r\ndata: b\r\r")).toEqual([
      { event: "message", data: "a", id: undefined },
      { event: "message", data: "b", id: undefined },
    ]);
  });

  it("joins several data lines, skips comments, and drops an event the stream did not finish", async () => {
    expect(await eventsOf(": keep-alive\n", "data: one\ndata:two\n\n", "data: cut off")).toEqual([{ event: "message", data: "one\ntwo", id: undefined }]);
  });
});
