// --max-requests-inflight, --max-mutating-requests-inflight and --request-timeout over real HTTPS with client
// certificates: requests that hold a seat (a body sent slowly) fill the mutating pool and the next one is a 429
// with Retry-After; watches hold no seat; system:masters is never refused; a seat held too long is a 504, and once
// the slow senders go the server answers as before.
import assert from "node:assert/strict";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { request, type RequestOptions } from "node:https";
import { test, type TestContext } from "node:test";
import { MemoryStore } from "../store/memory.js";
import { createCertificateAuthority, issueCertificate } from "../support/pki.js";
import type { RequestLimits } from "./inflight.js";
import { createApiServer } from "./server.js";

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

interface World {
  /** Sends a request as alice (cluster-admin through RBAC, not system:masters), or as the admin. */
  send(method: string, path: string, options?: { body?: string; admin?: boolean }): Promise<Answer>;
  /** A POST that declares a body and sends only its first bytes: it holds its seat until `stop()` or a timeout. */
  slowPost(): { answer: Promise<Answer>; stop(): void };
  /** A watch that stays open; `received()` is what it has streamed so far. */
  watch(options?: { admin?: boolean; status?: number }): Promise<{ received(): string; stop(): void }>;
}

const pvcs = "/api/v1/namespaces/default/persistentvolumeclaims";
const claim = (name: string) =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
  });

async function start(t: TestContext, limits?: RequestLimits): Promise<World> {
  const ca = await createCertificateAuthority("inflight-test-ca", 1);
  const serving = await issueCertificate(ca, {
    commonName: "apiserver",
    usage: "server",
    hosts: ["127.0.0.1"],
    validDays: 1,
  });
  const alice = await issueCertificate(ca, { commonName: "alice", usage: "client", validDays: 1 });
  const admin = await issueCertificate(ca, {
    commonName: "kubernetes-admin",
    organizations: ["system:masters"],
    usage: "client",
    validDays: 1,
  });
  const store = new MemoryStore();
  const server = await createApiServer({
    store,
    tls: { cert: serving.cert, key: serving.key, clientCA: ca.cert },
    security: { authentication: { anonymous: false }, authorization: ["Node", "RBAC"] },
    log: () => undefined,
    limits,
  });
  const listener = await server.listen("127.0.0.1:0");
  const live = new Set<{ destroy(): void }>();
  t.after(async () => {
    for (const r of live) r.destroy();
    await server.close();
    await store.close();
  });
  const { port } = new URL(listener.url);
  const options = (method: string, path: string, who = alice): RequestOptions => ({
    host: "127.0.0.1",
    port,
    method,
    path,
    ca: ca.cert,
    cert: who.cert,
    key: who.key,
    agent: false,
    headers: { "content-type": "application/json" },
  });
  const open = (o: RequestOptions) => {
    let resolveHead: (res: IncomingMessage) => void = () => undefined;
    const head = new Promise<IncomingMessage>((resolve) => (resolveHead = resolve));
    const req = request(o, resolveHead);
    req.on("error", () => undefined);
    live.add(req);
    req.on("close", () => live.delete(req));
    return { req, head };
  };
  const answerOf = async (head: Promise<IncomingMessage>): Promise<Answer> => {
    const res = await head;
    let body = "";
    for await (const chunk of res) body += (chunk as Buffer).toString();
    return { status: res.statusCode ?? 0, headers: res.headers, body };
  };
  const world: World = {
    send(method, path, { body, admin: asAdmin } = {}) {
      const { req, head } = open(options(method, path, asAdmin ? admin : alice));
      req.end(body);
      return answerOf(head);
    },
    slowPost() {
      const o = options("POST", pvcs);
      o.headers = { ...o.headers, "content-length": "4096" };
      const { req, head } = open(o);
      req.write("{");
      return { answer: answerOf(head), stop: () => req.destroy() };
    },
    async watch({ admin: asAdmin, status = 200 } = {}) {
      const { req, head } = open(options("GET", `${pvcs}?watch=true`, asAdmin ? admin : alice));
      req.end();
      const res = await head;
      assert.equal(res.statusCode, status);
      let received = "";
      res.on("data", (chunk: Buffer) => (received += chunk.toString()));
      res.on("error", () => undefined);
      return { received: () => received, stop: () => req.destroy() };
    },
  };
  // alice may do anything through RBAC, but is not in system:masters: her requests are counted.
  const rbac = "/apis/rbac.authorization.k8s.io/v1";
  const role = await world.send("POST", `${rbac}/clusterroles`, {
    admin: true,
    body: JSON.stringify({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "everything" },
      rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
    }),
  });
  assert.equal(role.status, 201, role.body);
  const binding = await world.send("POST", `${rbac}/clusterrolebindings`, {
    admin: true,
    body: JSON.stringify({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "alice" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "everything" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "alice" }],
    }),
  });
  assert.equal(binding.status, 201, binding.body);
  await until("RBAC lets alice in", async () => (await world.send("GET", pvcs)).status === 200);
  return world;
}

/** Polls `check` until it holds (a deadline, never a fixed sleep). */
async function until(what: string, check: () => Promise<boolean>, deadlineMs = 20_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test("a full mutating pool answers 429 with Retry-After; watches, reads and system:masters go on; a held seat times out", async (t) => {
  const world = await start(t, { maxRequestsInflight: 2, maxMutatingRequestsInflight: 1, requestTimeoutMs: 1500 });
  const watches = await Promise.all([1, 2, 3].map(() => world.watch())); // more than either pool: not counted
  const slow = world.slowPost();
  let refused: Answer | undefined;
  await until("the next write is refused", async () => {
    const answer = await world.send("POST", pvcs, { body: claim("refused") });
    if (answer.status === 429) refused = answer;
    return answer.status === 429;
  });
  assert.equal(refused?.headers["retry-after"], "1");
  const status = JSON.parse(refused?.body ?? "{}") as Record<string, unknown>;
  assert.deepEqual(
    { kind: status.kind, code: status.code, reason: status.reason, message: status.message },
    { kind: "Status", code: 429, reason: "TooManyRequests", message: "Too many requests, please try again later." },
  );
  assert.equal((await world.send("GET", pvcs)).status, 200);
  assert.equal((await world.send("POST", pvcs, { body: claim("by-admin"), admin: true })).status, 201);
  // The slow sender's seat is taken back after the request timeout, with upstream's 504.
  const timedOut = await slow.answer;
  assert.equal(timedOut.status, 504, timedOut.body);
  assert.match(timedOut.body, /"reason":"Timeout"/);
  assert.equal((await world.send("POST", pvcs, { body: claim("after") })).status, 201);
  await until("the watches saw both claims", async () =>
    watches.every((w) => w.received().includes('"by-admin"') && w.received().includes('"after"')),
  );
});

test("500 idle watches and 450 slow writes: further writes get 429, memory stays bounded, and it serves again after", async (t) => {
  const world = await start(t); // upstream's defaults: 400 read-only, 200 mutating, 60 s
  const rss = process.memoryUsage().rss;
  const watches: Array<{ received(): string; stop(): void }> = [];
  for (let i = 0; i < 500; i += 50)
    watches.push(...(await Promise.all(Array.from({ length: 50 }, () => world.watch()))));
  const slow = Array.from({ length: 450 }, () => world.slowPost());
  await until(
    "a further write is refused",
    async () => (await world.send("POST", pvcs, { body: claim("x") })).status === 429,
  );
  // 200 hold a seat; the other 250 were refused as they came.
  const refused = slow.map(() => false);
  slow.forEach((s, i) => void s.answer.then((a) => (refused[i] = a.status === 429)));
  await until("250 slow writes were refused", async () => refused.filter(Boolean).length === 250);
  assert.equal((await world.send("GET", pvcs)).status, 200, "reads have their own pool");
  const grown = process.memoryUsage().rss - rss;
  assert.ok(grown < 512 * 1024 * 1024, `memory grew by ${grown} bytes`);
  t.diagnostic(`resident memory grew by ${Math.round(grown / 2 ** 20)} MiB with 500 watches and 450 slow writes`);
  for (const s of slow) s.stop();
  await until(
    "writes are served again",
    async () => (await world.send("POST", pvcs, { body: claim("again") })).status === 201,
  );
  await until("every watch saw the claim", async () => watches.every((w) => w.received().includes('"again"')));
  for (const w of watches) w.stop();
});

test("one client may hold only so many watches open; others, and system:masters, are not held back", async (t) => {
  const world = await start(t, { maxWatchesPerClient: 3 });
  const open = await Promise.all([1, 2, 3].map(() => world.watch()));
  await world.watch({ status: 429 });
  await world.watch({ admin: true });
  assert.equal((await world.send("GET", pvcs)).status, 200, "plain requests are not watches");
  open[0].stop();
  // the server sees the close and gives the watch back
  for (let i = 0; ; i++) {
    try {
      await world.watch();
      break;
    } catch (err) {
      if (i > 200) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
});
