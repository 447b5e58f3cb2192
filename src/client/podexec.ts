// pods/{name}/exec as kubectl exec speaks it: a websocket to the apiserver offering v5 and v4.channel.k8s.io,
// each binary frame's first byte its channel (1 stdout, 2 stderr, 3 the closing Status). Over HTTP only: the
// in-process transport has no sockets to upgrade, so a component that execs is given a kubeconfig for it.
import WebSocket from "ws";
import type { Kubeconfig } from "./kubeconfig.js";

export interface PodExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface PodExecTarget {
  namespace: string;
  pod: string;
  container: string;
}

const protocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"];
const stdoutChannel = 1;
const stderrChannel = 2;
const errorChannel = 3;

interface ChannelStatus {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/** The exit code the closing Status carries: 0 on Success, the ExitCode cause on NonZeroExitCode. */
function exitCodeOf(status: ChannelStatus): number | Error {
  if (status.status === "Success") return 0;
  const cause = status.details?.causes?.find((c) => c.reason === "ExitCode");
  if (status.reason === "NonZeroExitCode" && cause?.message) return Number(cause.message);
  return new Error(status.message ?? "exec failed");
}

/** Runs `command` in the container, no stdin, no tty; rejects on a refused upgrade, an error Status or timeout. */
export function execInPod(
  kubeconfig: Kubeconfig,
  target: PodExecTarget,
  command: string[],
  timeoutMs: number,
): Promise<PodExecResult> {
  const query = new URLSearchParams({ container: target.container, stdout: "true", stderr: "true" });
  for (const word of command) query.append("command", word);
  const path = `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.pod)}/exec`;
  const url = `${kubeconfig.server.replace(/^http/, "ws").replace(/\/$/, "")}${path}?${query.toString()}`;
  // ws hands these options on to tls.connect, servername included (its types leave that one out)
  const options: WebSocket.ClientOptions & { servername?: string } = {
    ca: kubeconfig.certificateAuthority,
    cert: kubeconfig.clientCertificate,
    key: kubeconfig.clientKey,
    rejectUnauthorized: !kubeconfig.insecureSkipTlsVerify,
    servername: kubeconfig.tlsServerName,
    headers: kubeconfig.token ? { Authorization: `Bearer ${kubeconfig.token}` } : {},
  };
  const socket = new WebSocket(url, protocols, options);
  return new Promise<PodExecResult>((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outcome: number | Error | undefined;
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`timed out after ${timeoutMs / 1000}s`));
    }, timeoutMs);
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      const frame = isBinary ? data : Buffer.from(data);
      if (frame.length === 0) return;
      const body = frame.subarray(1);
      if (frame[0] === stdoutChannel) out.push(body);
      else if (frame[0] === stderrChannel) err.push(body);
      else if (frame[0] === errorChannel && body.length > 0) {
        try {
          outcome = exitCodeOf(JSON.parse(body.toString()) as ChannelStatus);
        } catch {
          outcome = new Error(body.toString());
        }
      }
    });
    socket.on("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => {
        clearTimeout(timer);
        reject(new Error(`pods/exec refused (${res.statusCode}): ${messageOf(text)}`));
      });
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      if (outcome instanceof Error) return reject(outcome);
      // The kubelet always sends a Status before closing; a close without one means the stream broke.
      if (outcome === undefined) return reject(new Error("the exec stream closed without an exit status"));
      resolve({ exitCode: outcome, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

/** A refused upgrade's Status message, or its text. */
function messageOf(text: string): string {
  try {
    const status = JSON.parse(text) as { message?: string };
    return status.message ?? text;
  } catch {
    return text.trim();
  }
}
