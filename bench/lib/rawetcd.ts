// The peer for the store and the API path: etcd itself (Debian's etcd-server, one member on this machine), driven by
// the same shape of client in the same run, so the ratio says what our layers cost over the store the cluster uses.
import { Etcd3 } from "etcd3";
import { startEtcd } from "../../src/store/testing/etcdserver.js";

export interface RawEtcd {
  /** Puts of `value` under fresh keys by `writers` concurrent writers, `count` in all: puts per second. */
  putsPerSecond(writers: number, count: number, value: string | Buffer): Promise<number>;
  /** Writes `count` keys under `prefix`, then times whole range reads of them: the median in ms. */
  rangeMs(prefix: string, count: number, value: string | Buffer, runs?: number): Promise<number>;
  stop(): Promise<void>;
}

export async function startRawEtcd(): Promise<RawEtcd> {
  const cluster = await startEtcd(1);
  // A whole range in one answer, as our store lists: lift gRPC's 4 MiB default on what the client accepts.
  const client = new Etcd3({ hosts: cluster.endpoints, grpcOptions: { "grpc.max_receive_message_length": -1 } });
  let batch = 0;
  const puts = async (prefix: string, writers: number, count: number, value: string | Buffer) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: writers }, async () => {
        while (next < count) await client.put(`${prefix}${String(next++).padStart(8, "0")}`).value(value);
      }),
    );
  };
  return {
    async putsPerSecond(writers, count, value) {
      const prefix = `/bench/puts-${batch++}/`;
      await puts(`/bench/warm-${batch}/`, writers, Math.min(500, count), value);
      const started = performance.now();
      await puts(prefix, writers, count, value);
      return count / ((performance.now() - started) / 1000);
    },
    async rangeMs(prefix, count, value, runs = 7) {
      await puts(prefix, 32, count, value);
      const samples: number[] = [];
      for (let i = 0; i < runs; i++) {
        const started = performance.now();
        const got = await client.getAll().prefix(prefix).buffers();
        samples.push(performance.now() - started);
        if (Object.keys(got).length !== count)
          throw new Error(`raw etcd range returned ${Object.keys(got).length} of ${count}`);
      }
      return samples.sort((a, b) => a - b)[Math.floor(runs / 2)];
    },
    async stop() {
      client.close();
      await cluster.stop();
    },
  };
}
