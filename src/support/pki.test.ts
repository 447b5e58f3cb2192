import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { connect, createServer, type TLSSocket } from "node:tls";
import { test } from "node:test";
import type { AddressInfo } from "node:net";
import { certificateFacts, createCertificateAuthority, issueCertificate, needsRenewal } from "./pki.js";

test("a CA signs a server certificate for its hosts and a client certificate carrying CN and groups", async () => {
  const ca = await createCertificateAuthority("stowage-ca", 3650);
  const server = await issueCertificate(ca, {
    commonName: "kube-apiserver",
    usage: "server",
    hosts: ["localhost", "127.0.0.1"],
    validDays: 365,
  });
  const client = await issueCertificate(ca, {
    commonName: "kubernetes-admin",
    organizations: ["system:masters"],
    usage: "client",
    validDays: 365,
  });
  assert.ok(new X509Certificate(server.cert).verify(new X509Certificate(ca.cert).publicKey));
  assert.ok(new X509Certificate(ca.cert).ca);
  assert.deepEqual(certificateFacts(client.cert).organizations, ["system:masters"]);

  // A real TLS handshake both ways: the server trusts the CA for clients, the client trusts it for the server.
  const tlsServer = createServer({ cert: server.cert, key: server.key, ca: ca.cert, requestCert: true }, (socket) => {
    const peer = socket.getPeerCertificate();
    socket.end(`${socket.authorized} ${peer.subject.CN} ${String(peer.subject.O)}`);
  });
  tlsServer.listen(0, "127.0.0.1");
  await once(tlsServer, "listening");
  try {
    const { port } = tlsServer.address() as AddressInfo;
    const socket: TLSSocket = connect({ port, host: "127.0.0.1", ca: ca.cert, cert: client.cert, key: client.key });
    let answer = "";
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
    await once(socket, "end");
    assert.ok(socket.authorized, String(socket.authorizationError));
    assert.equal(answer, "true kubernetes-admin system:masters");
  } finally {
    tlsServer.close();
  }
});

test("a certificate is renewed when it is about to expire or misses a host it must serve", async () => {
  const ca = await createCertificateAuthority("stowage-ca", 3650);
  const now = new Date();
  const fresh = await issueCertificate(ca, { commonName: "s", usage: "server", hosts: ["localhost"], validDays: 365 });
  assert.equal(needsRenewal(fresh.cert, now, 90, ["localhost"]), false);
  assert.equal(needsRenewal(fresh.cert, now, 90, ["localhost", "10.0.0.7"]), true, "a new host needs a new cert");
  const old = await issueCertificate(ca, {
    commonName: "s",
    usage: "server",
    hosts: ["localhost"],
    validDays: 365,
    notBefore: new Date(now.getTime() - 300 * 24 * 3600 * 1000),
  });
  assert.equal(needsRenewal(old.cert, now, 90), true, "65 days left is inside the 90-day renewal window");
});
