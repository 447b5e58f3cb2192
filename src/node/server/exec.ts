// exec over the Kubernetes websocket channel protocol (k8s.io/apimachinery/pkg/util/remotecommand, wsstream): every
// binary message starts with its channel — 0 stdin, 1 stdout, 2 stderr, 3 error (one metav1.Status when the command
// ends), 4 resize (TTY size as JSON) and, in v5.channel.k8s.io, 255 close ([255, channel]: the client closed its
// stdin). The command runs inside the container with `nsenter --target <pid> --mount --uts --root --wd`, the
// container's environment and its user and groups (`setpriv`, as the container itself was started: exec never runs
// as root in a container that does not); a TTY comes from `script`, resized through its terminal with `stty`.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, readlink } from "node:fs/promises";
import { constants } from "node:os";
import type { WebSocket } from "ws";
import type { ContainerUser } from "../runtime/runtime.js";
import { KubeletRequestError } from "./logs.js";

export const streamProtocolV5 = "v5.channel.k8s.io";
export const streamProtocolV4 = "v4.channel.k8s.io";
/** What the kubelet offers, best first. kubectl v1.32 asks for v5 only; other clients still speak v4. */
export const channelProtocols = [streamProtocolV5, streamProtocolV4] as const;
export type ChannelProtocol = (typeof channelProtocols)[number];

export const channelStdin = 0;
export const channelStdout = 1;
export const channelStderr = 2;
export const channelError = 3;
export const channelResize = 4;
export const channelClose = 255;

export interface ExecOptions {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** remotecommand's NewOptions, plus the command: what the kubelet accepts on /exec. Refusals are 400s. */
export function parseExecQuery(query: URLSearchParams): ExecOptions {
  // The apiserver forwards "1"; a client talking to the kubelet directly may send "true".
  const flag = (name: string) => query.get(name) === "1" || query.get(name) === "true";
  const tty = flag("tty");
  const options: ExecOptions = {
    command: query.getAll("command"),
    stdin: flag("input") || flag("stdin"),
    stdout: flag("output") || flag("stdout"),
    // A TTY has one output stream: stderr is bypassed, as upstream.
    stderr: !tty && (flag("error") || flag("stderr")),
    tty,
  };
  if (!options.stdin && !options.stdout && !options.stderr)
    throw new KubeletRequestError(400, "you must specify at least 1 of stdin, stdout, stderr");
  if (options.command.length === 0)
    throw new KubeletRequestError(400, "you must specify at least one command for the container");
  return options;
}

/** The metav1.Status written on the error channel, as the kubelet's remotecommand server writes them. */
export function exitStatus(command: string[], code: number): Record<string, unknown> {
  if (code === 0) return { metadata: {}, status: "Success" };
  return {
    metadata: {},
    status: "Failure",
    message: `command terminated with non-zero exit code: error executing command [${command.join(" ")}], exit code ${code}`,
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: String(code) }] },
  };
}

export function internalErrorStatus(message: string): Record<string, unknown> {
  const text = `error executing command in container: ${message}`;
  return {
    metadata: {},
    status: "Failure",
    message: `Internal error occurred: ${text}`,
    reason: "InternalError",
    details: { causes: [{ message: text }] },
    code: 500,
  };
}

/** The container's environment (what a process started in it would get), from /proc/<pid>/environ. */
async function containerEnv(pid: number): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  const text = await readFile(`/proc/${pid}/environ`, "utf8");
  for (const entry of text.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

const shellQuote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

interface TerminalSize {
  Width: number;
  Height: number;
}

function parseTerminalSize(data: Buffer): TerminalSize | undefined {
  try {
    const value: unknown = JSON.parse(data.toString());
    if (typeof value !== "object" || value === null) return undefined;
    const { Width, Height } = value as Record<string, unknown>;
    if (typeof Width !== "number" || typeof Height !== "number") return undefined;
    return { Width, Height };
  } catch {
    return undefined;
  }
}

/**
 * `script` runs the command on a new pseudo-terminal; its child's stdin is that terminal. `stty -F` sets the size
 * there, and the kernel sends SIGWINCH to the command as a real terminal resize would.
 */
async function resizeTerminal(script: ChildProcess, size: TerminalSize): Promise<void> {
  // Right after the spawn `script` may not have started the command yet: wait for it (a couple of seconds at most).
  let terminal = "";
  for (let attempt = 0; attempt < 100 && script.exitCode === null && script.signalCode === null; attempt++) {
    const children = await readFile(`/proc/${script.pid}/task/${script.pid}/children`, "utf8").catch(() => "");
    const child = children.trim().split(/\s+/)[0];
    if (child) terminal = await readlink(`/proc/${child}/fd/0`).catch(() => "");
    if (terminal.startsWith("/dev/pts/")) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (!terminal.startsWith("/dev/pts/")) return;
  await new Promise<void>((resolve) =>
    execFile("stty", ["-F", terminal, "rows", String(size.Height), "cols", String(size.Width)], () => resolve()),
  );
}

/** The first resize message among those received so far, or the next one, within a second. Removed from `early`. */
async function firstResize(ws: WebSocket, early: Buffer[], closed: () => boolean): Promise<TerminalSize | undefined> {
  const deadline = Date.now() + 1000;
  while (!closed() && Date.now() < deadline) {
    const index = early.findIndex((data) => data[0] === channelResize);
    if (index >= 0) return parseTerminalSize(early.splice(index, 1)[0].subarray(1));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, deadline - Date.now());
      function done() {
        clearTimeout(timer);
        ws.off("message", done);
        ws.off("close", done);
        resolve();
      }
      ws.on("message", done);
      ws.on("close", done);
    });
  }
  return undefined;
}

/** The shell command `script` runs: the terminal sized first, then the command inside the container. */
function scriptCommand(nsenter: string[], size: TerminalSize | undefined): string {
  const command = ["nsenter", ...nsenter].map(shellQuote).join(" ");
  if (!size) return `exec ${command}`;
  return `stty rows ${Math.trunc(size.Height)} cols ${Math.trunc(size.Width)} 2>/dev/null; exec ${command}`;
}

/** How long a new session waits before its command may answer (see runExec). */
const clientStreamsSettleMs = 50;
/** Frames larger than this are split; kubectl reads with 32 KiB buffers. */
const maxFrame = 32 * 1024;
/** Output stops being read while this much is queued for a slow client. */
const highWaterMark = 1 << 20;

/** A running container as exec enters it: its first process, and the ids its processes run as. */
export interface ExecTarget {
  pid: number;
  /** Undefined: root, as the container itself runs without securityContext ids. */
  user?: ContainerUser;
}

/**
 * setpriv's path inside the container. A container's root is an overlay of the node's, so the node's setpriv is
 * there; an absolute path, because the container's PATH is the user's to set.
 */
function setprivPath(): string {
  return ["/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv", "/sbin/setpriv"].find(existsSync) ?? "setpriv";
}

/**
 * What nsenter runs in the container: the command itself, or (with ids to take) setpriv switching to the
 * container's uid, gid and supplementary groups first, as the container's own start does (process-setup.ts).
 * nsenter's own --setuid would drop the supplementary groups (fsGroup among them).
 */
export function asContainerUser(command: string[], user: ContainerUser | undefined): string[] {
  if (!user) return command;
  const groups = user.groups.length > 0 ? [`--groups=${user.groups.join(",")}`] : ["--clear-groups"];
  return [setprivPath(), `--reuid=${user.uid}`, `--regid=${user.gid}`, ...groups, "--", ...command];
}

/** The command in the container's namespaces (nsenter), under `script` for a terminal when the client asked for one. */
function spawnInContainer(
  target: ExecTarget,
  options: ExecOptions,
  env: Record<string, string>,
  initialSize: TerminalSize | undefined,
): ChildProcess {
  const command = asContainerUser(options.command, target.user);
  const nsenter = ["--target", String(target.pid), "--mount", "--uts", "--root", "--wd", "--", ...command];
  const child = options.tty
    ? spawn("script", ["-q", "-f", "-e", "-c", scriptCommand(nsenter, initialSize), "/dev/null"], {
        env: { TERM: "xterm", ...env },
        stdio: ["pipe", "pipe", "ignore"],
      })
    : spawn("nsenter", nsenter, {
        env,
        stdio: [
          options.stdin ? "pipe" : "ignore",
          options.stdout ? "pipe" : "ignore",
          options.stderr ? "pipe" : "ignore",
        ],
      });
  // Without -i the command still gets a terminal under -t; its input just never comes.
  if (options.tty && !options.stdin) child.stdin?.end();
  return child;
}

/** One frame from the client: stdin for the command, a terminal resize, or (v5) the client closing its stdin. */
async function receiveFrame(
  data: Buffer,
  child: ChildProcess,
  protocol: ChannelProtocol,
  options: ExecOptions,
): Promise<void> {
  if (data.length === 0) return;
  const channel = data[0];
  const payload = data.subarray(1);
  if (channel === channelStdin) {
    if (options.stdin && child.stdin?.writable) child.stdin.write(payload);
  } else if (channel === channelResize && options.tty) {
    const size = parseTerminalSize(payload);
    if (size) await resizeTerminal(child, size);
  } else if (channel === channelClose && protocol === streamProtocolV5) {
    if (payload[0] === channelStdin) child.stdin?.end();
  }
}

/**
 * Runs one exec session on an upgraded websocket: the command inside the container `target` names, as its user,
 * its streams on the channels, its exit status on the error channel, then a normal close. A client that goes away
 * takes the command with it.
 */
export async function runExec(
  ws: WebSocket,
  protocol: ChannelProtocol,
  target: ExecTarget,
  options: ExecOptions,
  log: (message: string, err?: unknown) => void,
): Promise<void> {
  const send = (channel: number, data: Buffer | string, done?: () => void) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data)]), { binary: true }, done);
  };
  const finish = (status: Record<string, unknown>) => {
    send(channelError, JSON.stringify(status));
    if (ws.readyState === ws.OPEN) ws.close(1000);
  };

  // The client may send (stdin, its close, a resize) before the command is started: keep it until then.
  const early: Buffer[] = [];
  let closedEarly = false;
  const keep = (data: Buffer, isBinary: boolean) => void (isBinary && early.push(data));
  const closeEarly = () => void (closedEarly = true);
  ws.on("message", keep);
  ws.once("close", closeEarly);
  let env: Record<string, string>;
  let initialSize: TerminalSize | undefined;
  try {
    env = await containerEnv(target.pid);
    // With a TTY, client-go sends the terminal's size first thing: start the command on a terminal of that size
    // (a client that never sends one gets the default after a second).
    if (options.tty) initialSize = await firstResize(ws, early, () => closedEarly);
    // kubectl's websocket client starts reading before it has registered its streams (client-go's readDemuxLoop)
    // and drops what arrives for a stream it does not know yet ("Unknown stream id 1, discarding message"). The
    // kubelet's CRI round trip hides that upstream; here a command can answer within microseconds. A resize proves
    // the client's streams exist; without one, give the client that moment before the command may answer.
    if (!initialSize) await new Promise((resolve) => setTimeout(resolve, clientStreamsSettleMs));
  } catch {
    // The container's process went away between the lookup and now.
    return finish(internalErrorStatus(`container is not created or running`));
  } finally {
    ws.off("message", keep);
    ws.off("close", closeEarly);
  }
  const child = spawnInContainer(target, options, env, initialSize);

  const forward = (stream: NodeJS.ReadableStream | null, channel: number) => {
    stream?.on("data", (chunk: Buffer) => {
      for (let at = 0; at < chunk.length; at += maxFrame) {
        send(channel, chunk.subarray(at, at + maxFrame), () => {
          if (ws.bufferedAmount < highWaterMark) stream.resume();
        });
      }
      if (ws.bufferedAmount >= highWaterMark) stream.pause();
    });
  };
  forward(child.stdout, channelStdout);
  forward(child.stderr, channelStderr);
  child.stdin?.on("error", () => undefined); // the command exited without reading all of its input

  const receive = (data: Buffer) => receiveFrame(data, child, protocol, options);
  // In order: input typed after a resize reaches the command after the terminal has its new size.
  let received = Promise.resolve();
  const enqueue = (data: Buffer) => {
    received = received.then(() => receive(data)).catch((err: unknown) => log("exec: handling a message failed", err));
  };
  for (const data of early) enqueue(data);
  ws.on("message", (data: Buffer, isBinary: boolean) => isBinary && enqueue(data));
  const hangUp = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  if (closedEarly) hangUp();
  ws.on("close", hangUp);

  await new Promise<void>((resolve) => {
    child.once("error", (err) => {
      log("exec: starting the command failed", err);
      finish(internalErrorStatus(err.message));
      resolve();
    });
    // "close": the exit status is known and stdout/stderr are drained, so the status is the last thing sent.
    child.once("close", (code, signal) => {
      // Killed by a signal: the shell's (and the runtimes') 128 + signal number.
      finish(exitStatus(options.command, code ?? 128 + (signal ? constants.signals[signal] : 0)));
      resolve();
    });
  });
}
