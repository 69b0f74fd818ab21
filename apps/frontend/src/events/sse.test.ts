import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { startServer } from "../testing/server";
import { EventStream, SseParser, type SseMessage, type StreamStatus } from "./sse";

describe("SseParser", () => {
  it("parses events split across chunks, comments, ids and retry", () => {
    const parser = new SseParser();
    const out: SseMessage[] = [];
    out.push(...parser.push("retry: 2000\n\n: keepalive\n\nid: 7\nevent: offer_made\nda"));
    expect(out).toEqual([]);
    out.push(...parser.push('ta: {"id":7}\n\nid: 8\r\nevent: booking_confirmed\r\ndata: a\r\ndata: b\r\n\r\n'));
    expect(out).toEqual([
      { id: "7", event: "offer_made", data: '{"id":7}' },
      { id: "8", event: "booking_confirmed", data: "a\nb" },
    ]);
    expect(parser.retryMs).toBe(2000);
    expect(parser.lastEventId).toBe("8");
  });

  it("defaults the event name to message and ignores empty events", () => {
    const parser = new SseParser();
    expect(parser.push("event: x\n\ndata: hi\n\n")).toEqual([{ id: null, event: "message", data: "hi" }]);
  });
});

let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
});

function frame(res: ServerResponse, id: number, kind: string) {
  res.write(`id: ${id}\nevent: ${kind}\ndata: ${JSON.stringify({ id, kind })}\n\n`);
}

describe("EventStream", () => {
  it("reconnects after the server drops it, sending Last-Event-ID, and refreshes on 401", async () => {
    let connection = 0;
    const server = await startServer((req, _body, res) => {
      connection += 1;
      if (connection === 2) {
        res.writeHead(401, { "Content-Type": "application/problem+json" });
        res.end(JSON.stringify({ title: "expired", status: 401, code: "invalid_token" }));
        return;
      }
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.write("retry: 10\n\n");
      if (connection === 1) {
        frame(res, 1, "offer_made");
        frame(res, 2, "offer_withdrawn");
        res.end(); // the backend restarts: the stream ends
      } else {
        // Replay after the last id the client saw.
        const after = Number(req.headers["last-event-id"]);
        frame(res, after + 1, "booking_confirmed");
      }
    });
    close = server.close;
    let token = "access-1";
    const received: SseMessage[] = [];
    const statuses: StreamStatus[] = [];
    let refreshed = 0;
    const done = new Promise<void>((resolve) => {
      const stream = new EventStream({
        url: `${server.url}/api/v1/events`,
        accessToken: () => token,
        onUnauthorized: () => {
          refreshed += 1;
          token = "access-2";
          return Promise.resolve(true);
        },
        onMessage: (message) => {
          received.push(message);
          if (received.length === 3) {
            stream.close();
            resolve();
          }
        },
        onStatus: (s) => statuses.push(s),
        minDelayMs: 5,
      });
      stream.start();
    });
    await done;
    expect(received.map((m) => [m.id, m.event])).toEqual([
      ["1", "offer_made"],
      ["2", "offer_withdrawn"],
      ["3", "booking_confirmed"],
    ]);
    expect(refreshed).toBe(1);
    const headers = server.requests.map((r) => [r.headers.authorization, r.headers["last-event-id"]]);
    expect(headers).toEqual([
      ["Bearer access-1", undefined],
      ["Bearer access-1", "2"],
      ["Bearer access-2", "2"],
    ]);
    expect(statuses).toContain("reconnecting");
    expect(statuses.at(-1)).toBe("closed");
  });

  it("backs off exponentially up to the maximum, starting at the server's retry", () => {
    const stream = new EventStream({
      url: "http://127.0.0.1:9/",
      accessToken: () => null,
      onUnauthorized: () => Promise.resolve(false),
      onMessage: () => undefined,
      minDelayMs: 1000,
      maxDelayMs: 5000,
    });
    expect([1, 2, 3, 4].map(() => stream.nextDelay())).toEqual([1000, 2000, 4000, 5000]);
  });
});
