import { MemoryStore } from "./memory.js";
import { slowWatcherConformance, storeConformance } from "./testing/conformance.js";

storeConformance("memory", () => new MemoryStore());
slowWatcherConformance("memory", (bufferLimit) => new MemoryStore({ watch: { bufferLimit } }));
