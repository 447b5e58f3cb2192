// A process that opens a SqliteStore and holds it until it is killed: prints "open <pid>" once it owns the file,
// or "in use: <message>" and exits when another owner has it (filelock.test.ts).
import { SqliteStore, StoreInUseError } from "../sqlite.js";

try {
  SqliteStore.open(process.argv[2]);
  process.stdout.write(`open ${process.pid}\n`);
  setInterval(() => undefined, 60_000); // held until killed
} catch (err) {
  if (!(err instanceof StoreInUseError)) throw err;
  process.stdout.write(`in use: ${err.message}\n`);
}
