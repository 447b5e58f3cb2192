/**
 * A stored value's bytes in an ArrayBuffer of their own. Buffer.from(Uint8Array) copies a small value into
 * Node's shared 8 KiB pool, so one long-lived value kept every value around it alive, and Buffer#slice only
 * makes a view of the caller's bytes; the store holds values for as long as they are current.
 */
export function ownBytes(value: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(value.byteLength);
  copy.set(value);
  return copy;
}
