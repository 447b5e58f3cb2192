// A process that writes to a SqliteStore until it is killed, printing "key revision" for every write the
// store acknowledged (sqlite.test.ts kills it with SIGKILL and checks that every acknowledged write survived).
import { SqliteStore } from "../sqlite.js";

const store = SqliteStore.open(process.argv[2]);
const value = new Uint8Array(1024).fill(0x62);
await Promise.all(
  Array.from({ length: 8 }, async (_, writer) => {
    for (let i = 0; ; i++) {
      const kv = await store.create(`/pv/${writer}-${i}`, value);
      process.stdout.write(`${kv.key} ${kv.modRevision}\n`);
    }
  }),
);
