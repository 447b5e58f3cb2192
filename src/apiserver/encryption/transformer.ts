// How one resource's bytes are stored: upstream's value transformers, byte for byte —
// "k8s:enc:<provider>:v1:<key name>:" then, for aesgcm, a 12-byte nonce and AES-GCM sealed with the storage key as
// additional data; for aescbc, a 16-byte IV and AES-CBC with PKCS#7 padding; for secretbox, a 24-byte nonce and
// NaCl secretbox (tweetnacl). Values without a known prefix are read as plain (identity), as upstream does
// after encryption is first turned on.
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from "node:crypto";
import nacl from "tweetnacl";
import type { Provider } from "./config.js";

export class DecryptError extends Error {}

export interface Transformer {
  /** The bytes to store for `value` at storage key `key`. */
  write(value: Uint8Array, key: string): Uint8Array;
  /** The object's bytes from what is stored. */
  read(stored: Uint8Array, key: string): Uint8Array;
}

const gcm = (secret: Buffer) => `aes-${secret.length * 8}-gcm` as CipherGCMTypes;

const prefixOf = (type: string, name: string) => Buffer.from(`k8s:enc:${type}:v1:${name}:`);

function seal(type: Provider["type"], secret: Buffer, value: Uint8Array, key: string): Buffer {
  if (type === "aesgcm") {
    const nonce = randomBytes(12);
    const cipher = createCipheriv(gcm(secret), secret, nonce);
    cipher.setAAD(Buffer.from(key));
    return Buffer.concat([nonce, cipher.update(value), cipher.final(), cipher.getAuthTag()]);
  }
  if (type === "aescbc") {
    const iv = randomBytes(16);
    const cipher = createCipheriv(`aes-${secret.length * 8}-cbc`, secret, iv);
    return Buffer.concat([iv, cipher.update(value), cipher.final()]);
  }
  const nonce = randomBytes(24);
  return Buffer.concat([nonce, Buffer.from(nacl.secretbox(value, nonce, secret))]);
}

function open(type: Provider["type"], secret: Buffer, sealed: Buffer, key: string): Buffer {
  if (type === "aesgcm") {
    if (sealed.length < 28) throw new DecryptError("the stored data was shorter than the required size");
    const decipher = createDecipheriv(gcm(secret), secret, sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(key));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
  }
  if (type === "aescbc") {
    const decipher = createDecipheriv(`aes-${secret.length * 8}-cbc`, secret, sealed.subarray(0, 16));
    return Buffer.concat([decipher.update(sealed.subarray(16)), decipher.final()]);
  }
  const opened = nacl.secretbox.open(sealed.subarray(24), sealed.subarray(0, 24), secret);
  if (!opened) throw new DecryptError("output array was not large enough for encryption");
  return Buffer.from(opened);
}

export function transformerFor(providers: Provider[]): Transformer {
  const candidates = providers.flatMap((p) =>
    p.type === "identity"
      ? []
      : p.keys.map((k) => ({ type: p.type, prefix: prefixOf(p.type, k.name), secret: k.secret })),
  );
  const writer = providers[0];
  return {
    write(value, key) {
      if (writer.type === "identity") return value;
      const first = writer.keys[0];
      return Buffer.concat([prefixOf(writer.type, first.name), seal(writer.type, first.secret, value, key)]);
    },
    read(stored, key) {
      const bytes = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
      for (const c of candidates) {
        if (!bytes.subarray(0, c.prefix.length).equals(c.prefix)) continue;
        try {
          return open(c.type, c.secret, bytes.subarray(c.prefix.length), key);
        } catch (err) {
          throw err instanceof DecryptError ? err : new DecryptError(`${c.type}: ${(err as Error).message}`);
        }
      }
      if (bytes.subarray(0, 8).toString() === "k8s:enc:") {
        throw new DecryptError(
          "no matching prefix found: the stored value was encrypted with a key this apiserver does not have",
        );
      }
      return stored; // identity: written before encryption was configured
    },
  };
}
