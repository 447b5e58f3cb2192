// A real etcd for tests and benches (Debian's etcd-server): one member or a cluster of several, each in its own
// temp dir on free loopback ports, stopped (and its dir removed) when the caller is done.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { get as httpGet, type IncomingMessage } from "node:http";
import { get as httpsGet } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCertificateAuthority, issueCertificate } from "../../support/pki.js";
import { maxRequestBytes } from "../store.js";

export interface EtcdMember {
  name: string;
  clientUrl: string;
  process: ChildProcess;
  /** kill -9, as a crash would. */
  kill(): void;
  /** Starts it again on its data dir and ports (after kill), resolving once it is healthy. */
  restart(): Promise<void>;
}

/** With TLS: the cluster's CA and a client certificate it accepts, as PEM and as files (for --etcd-* flags). */
export interface EtcdClientTls {
  ca: string;
  cert: string;
  key: string;
  files: { ca: string; cert: string; key: string };
}

export interface EtcdCluster {
  members: EtcdMember[];
  tls?: EtcdClientTls;
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

/**
 * Starts `size` etcd members as one cluster and waits until it answers; retries once on a port taken meanwhile.
 * `tls`: clients must speak TLS and present a certificate signed by the cluster's own CA (etcd's --client-cert-auth).
 */
export async function startEtcd(size = 1, options: { tls?: boolean } = {}): Promise<EtcdCluster> {
  try {
    return await startEtcdOnce(size, options.tls ?? false);
  } catch {
    return startEtcdOnce(size, options.tls ?? false);
  }
}

/** A CA, the members' serving certificate (127.0.0.1) and a client certificate, written into dir. */
async function etcdPki(dir: string): Promise<{ client: EtcdClientTls; serverFlags: string[] }> {
  const ca = await createCertificateAuthority("etcd-test-ca", 1);
  const server = await issueCertificate(ca, {
    commonName: "etcd",
    usage: "server and client",
    hosts: ["127.0.0.1", "localhost"],
    validDays: 1,
  });
  const client = await issueCertificate(ca, {
    commonName: "kube-apiserver-etcd-client",
    usage: "client",
    validDays: 1,
  });
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text, { mode: 0o600 });
    return join(dir, name);
  };
  const files = {
    ca: file("ca.crt", ca.cert),
    cert: file("client.crt", client.cert),
    key: file("client.key", client.key),
  };
  const serverFlags = [
    `--cert-file=${file("server.crt", server.cert)}`,
    `--key-file=${file("server.key", server.key)}`,
    `--trusted-ca-file=${files.ca}`,
    "--client-cert-auth",
  ];
  return { client: { ca: ca.cert, cert: client.cert, key: client.key, files }, serverFlags };
}

async function startEtcdOnce(size: number, tls: boolean): Promise<EtcdCluster> {
  const dir = mkdtempSync(join(tmpdir(), "stowage-etcd-"));
  const pki = tls ? await etcdPki(dir) : undefined;
  const scheme = pki ? "https" : "http";
  const plan = await Promise.all(
    Array.from({ length: size }, async (_, i) => ({
      name: `member-${i + 1}`,
      client: `${scheme}://127.0.0.1:${await freePort()}`,
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
          // the store refuses writes over 1.5 MiB itself (as every backend); etcd's own limit, which also counts
          // the key prefix and the request's framing, is set just above so the store's answer is the one tested
          `--max-request-bytes=${maxRequestBytes + 64 * 1024}`,
          ...(pki?.serverFlags ?? []),
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
        await untilHealthy(member, pki?.client);
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
  const cluster = { members, endpoints: plan.map((m) => m.client), stop, ...(pki ? { tls: pki.client } : {}) };
  try {
    await Promise.all(members.map((m) => untilHealthy(m, pki?.client)));
  } catch (err) {
    await stop();
    throw err;
  }
  return cluster;
}

/** Polls the member's /health until it reports a leader (deadline 30 s: several members elect one together). */
async function untilHealthy(member: EtcdMember, tls?: EtcdClientTls): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (member.process.exitCode !== null) throw new Error(`etcd ${member.name} exited at start`);
    try {
      const body = JSON.parse(await getText(`${member.clientUrl}/health`, tls)) as { health?: string };
      if (body.health === "true") return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`etcd ${member.name} did not become healthy within 30 s`);
}

function getText(url: string, tls?: EtcdClientTls): Promise<string> {
  return new Promise((resolve, reject) => {
    const done = (res: IncomingMessage) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve(text));
    };
    const req = tls ? httpsGet(url, { ca: tls.ca, cert: tls.cert, key: tls.key }, done) : httpGet(url, done);
    req.on("error", reject);
  });
}
