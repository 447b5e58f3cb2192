// A real etcd for tests and benches (Debian's etcd-server): one member or a cluster of several, each in its own
// temp dir on free loopback ports, stopped (and its dir removed) when the caller is done.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface EtcdMember {
  name: string;
  clientUrl: string;
  process: ChildProcess;
  /** kill -9, as a crash would. */
  kill(): void;
  /** Starts it again on its data dir and ports (after kill), resolving once it is healthy. */
  restart(): Promise<void>;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** Every member's client URL, as --store etcd://… takes them. */
  endpoints: string[];
  stop(): Promise<void>;
}

/** A free loopback port (the kernel's choice; nothing else on this machine binds it before etcd does). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== "object" || !address) throw new Error("no port");
  return address.port;
}

/** Starts `size` etcd members as one cluster and waits until it answers; retries once on a port taken meanwhile. */
export async function startEtcd(size = 1): Promise<EtcdCluster> {
  try {
    return await startEtcdOnce(size);
  } catch {
    return startEtcdOnce(size);
  }
}

async function startEtcdOnce(size: number): Promise<EtcdCluster> {
  const dir = mkdtempSync(join(tmpdir(), "stowage-etcd-"));
  const plan = await Promise.all(
    Array.from({ length: size }, async (_, i) => ({
      name: `member-${i + 1}`,
      client: `http://127.0.0.1:${await freePort()}`,
      peer: `http://127.0.0.1:${await freePort()}`,
    })),
  );
  const initialCluster = plan.map((m) => `${m.name}=${m.peer}`).join(",");
  const members: EtcdMember[] = plan.map((m) => {
    const launch = () =>
      spawn(
        "etcd",
        [
          `--name=${m.name}`,
          `--data-dir=${join(dir, m.name)}`,
          `--listen-client-urls=${m.client}`,
          `--advertise-client-urls=${m.client}`,
          `--listen-peer-urls=${m.peer}`,
          `--initial-advertise-peer-urls=${m.peer}`,
          `--initial-cluster=${initialCluster}`,
          "--initial-cluster-state=new",
          `--initial-cluster-token=${dir}`,
          "--log-level=error",
          "--logger=zap",
          // tests run on busy machines: a slow fsync must not be taken for a dead leader
          "--heartbeat-interval=200",
          "--election-timeout=2000",
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
    const watch = (child: ChildProcess) => {
      let errors = "";
      child.stderr?.on("data", (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4000)));
      child.on("exit", (code, signal) => {
        if (code && !stopping) console.error(`etcd ${m.name} exited (${code ?? signal}): ${errors}`);
      });
      return child;
    };
    const member: EtcdMember = {
      name: m.name,
      clientUrl: m.client,
      process: watch(launch()),
      kill: () => member.process.kill("SIGKILL"),
      restart: async () => {
        if (member.process.exitCode === null && member.process.signalCode === null) {
          throw new Error(`etcd ${m.name} is still running`);
        }
        member.process = watch(launch());
        await untilHealthy(member);
      },
    };
    return member;
  });
  let stopping = false;
  const stop = async () => {
    stopping = true;
    await Promise.all(
      members.map(
        (m) =>
          new Promise<void>((resolve) => {
            if (m.process.exitCode !== null || m.process.signalCode !== null) return resolve();
            m.process.once("exit", () => resolve());
            m.process.kill("SIGKILL");
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  const cluster = { members, endpoints: plan.map((m) => m.client), stop };
  try {
    await Promise.all(members.map((m) => untilHealthy(m)));
  } catch (err) {
    await stop();
    throw err;
  }
  return cluster;
}

/** Polls the member's /health until it reports a leader (deadline 30 s: several members elect one together). */
async function untilHealthy(member: EtcdMember): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (member.process.exitCode !== null) throw new Error(`etcd ${member.name} exited at start`);
    try {
      const response = await fetch(`${member.clientUrl}/health`);
      const body = (await response.json()) as { health?: string };
      if (body.health === "true") return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`etcd ${member.name} did not become healthy within 30 s`);
}
