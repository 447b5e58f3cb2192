// Ending an HTTP message (a server's response or a client's request) whose headers are not sent yet. Node joins the
// headers and the body into one write only when the body is a latin1 or utf8 string, and latin1 carries the bytes
// unchanged: for a small body that is one TLS record and one encryption instead of two. A large body is written as
// it is (a string copy of it would cost more than the record saved).
import type { OutgoingMessage } from "node:http";

const smallBodyBytes = 16 * 1024;

export function endWithBody(message: OutgoingMessage, body: Uint8Array | undefined): void {
  if (body && body.byteLength <= smallBodyBytes) {
    message.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("latin1"), "latin1");
  } else message.end(body);
}
