// The flags that lock the kubelet port, on both of its ends, read once here with every problem naming its flag:
// `stowage node` serves it (the kubelet's --tls-cert-file, --tls-private-key-file, --client-ca-file, and
// --kubelet-address), `stowage apiserver` reaches it (kube-apiserver's --kubelet-client-certificate,
// --kubelet-client-key, --kubelet-certificate-authority).
import { readFileSync } from "node:fs";
import type { KubeletClientTls } from "../apiserver/kubelet.js";
import { kubeletTlsFlags, type KubeletServingTls } from "../node/server/auth.js";

/** A PEM file a flag names; unreadable: an error naming the flag and the file. */
function readFlagFile(flag: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`${flag} ${file}: ${(err as Error).message}`);
  }
}

export interface KubeletServingFlags {
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCaFile?: string;
}

/** `stowage node`: all three are needed; the kubelet API serves HTTPS to the apiserver only. */
export function kubeletServingTlsFromFlags(flags: KubeletServingFlags): KubeletServingTls {
  const missing = [
    ...(flags.tlsCertFile ? [] : ["--tls-cert-file"]),
    ...(flags.tlsPrivateKeyFile ? [] : ["--tls-private-key-file"]),
    ...(flags.clientCaFile ? [] : ["--client-ca-file"]),
  ];
  if (missing.length > 0 || !flags.tlsCertFile || !flags.tlsPrivateKeyFile || !flags.clientCaFile) {
    throw new Error(
      `the kubelet API serves HTTPS only and accepts only the apiserver's client certificate: ` +
        `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} missing (it needs ${kubeletTlsFlags})`,
    );
  }
  return {
    cert: readFlagFile("--tls-cert-file", flags.tlsCertFile),
    key: readFlagFile("--tls-private-key-file", flags.tlsPrivateKeyFile),
    clientCA: readFlagFile("--client-ca-file", flags.clientCaFile),
  };
}

export interface KubeletClientFlags {
  kubeletClientCertificate?: string;
  kubeletClientKey?: string;
  kubeletCertificateAuthority?: string;
}

/** `stowage apiserver`: the client certificate and key go together; the CA is checked against when given. */
export function kubeletClientFromFlags(flags: KubeletClientFlags): KubeletClientTls {
  if (!flags.kubeletClientCertificate !== !flags.kubeletClientKey)
    throw new Error("--kubelet-client-certificate and --kubelet-client-key go together");
  return {
    ...(flags.kubeletClientCertificate && flags.kubeletClientKey
      ? {
          cert: readFlagFile("--kubelet-client-certificate", flags.kubeletClientCertificate),
          key: readFlagFile("--kubelet-client-key", flags.kubeletClientKey),
        }
      : {}),
    ...(flags.kubeletCertificateAuthority
      ? { ca: readFlagFile("--kubelet-certificate-authority", flags.kubeletCertificateAuthority) }
      : {}),
  };
}
