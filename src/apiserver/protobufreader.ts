// Reading protobuf wire format: varints, length-delimited fields, and a field walk that skips what the caller
// did not read. Shared by protobuf.ts (the kinds kubectl sends as protobuf) and protobufjob.ts (a Job's tables).
import { badRequest } from "./errors.js";

export class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): number {
    let result = 0;
    let shift = 0;
    while (true) {
      if (this.pos >= this.buf.length) throw badRequest("protobuf body ends inside a varint");
      const byte = this.buf[this.pos++];
      result += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return result;
      shift += 7;
      if (shift > 63) throw badRequest("protobuf varint too long");
    }
  }
  bytes(): Uint8Array {
    const length = this.varint();
    if (this.pos + length > this.buf.length) throw badRequest("protobuf field runs past the end of the body");
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
  string(): string {
    return Buffer.from(this.bytes()).toString("utf8");
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw badRequest(`unsupported protobuf wire type ${wire}`);
  }
  /** Each field as (number, wire type), with the reader positioned at its value. */
  *fields(): Generator<[number, number]> {
    while (!this.done) {
      const key = this.varint();
      const start = this.pos;
      yield [Math.floor(key / 8), key & 7];
      if (this.pos === start) this.skip(key & 7); // the caller did not read it
    }
  }
}
