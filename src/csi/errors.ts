// CSI errors are gRPC status codes plus a message (spec.md "Error Scheme"). Drivers throw CsiError; the server
// helper turns it into the call's status; the client turns a failed call back into a CsiError, so sidecars and
// the node agent branch on `err.code` the same way on both sides of the socket. Never match on the message.
import { status } from "@grpc/grpc-js";

/** gRPC status codes, named as the CSI spec names them (OK, NOT_FOUND, ALREADY_EXISTS, ABORTED, …). */
export const Code = status;
export type Code = status;

export class CsiError extends Error {
  override name = "CsiError";
  constructor(
    readonly code: Code,
    message: string,
    /** Set on errors the client returns: which RPC failed, e.g. "Controller.CreateVolume". */
    readonly method?: string,
  ) {
    super(message);
  }

  /** The code's spec name, for logs and events: "ALREADY_EXISTS". */
  get codeName(): string {
    return Code[this.code] ?? String(this.code);
  }
}

export function isCsiError(err: unknown): err is CsiError {
  return err instanceof CsiError;
}

/** The STYLE.md spelling: `if (isGrpcError(err) && err.code === Code.ALREADY_EXISTS)`. */
export const isGrpcError = isCsiError;

/** INVALID_ARGUMENT naming the missing field, the wording every driver uses for an empty required field. */
export function missingField(field: string): CsiError {
  return new CsiError(Code.INVALID_ARGUMENT, `${field} missing in request`);
}

// grpc-go's names for the codes, as they appear in its error strings ("rpc error: code = NotFound desc = …").
const goCodeNames: Record<number, string> = {
  [Code.OK]: "OK",
  [Code.CANCELLED]: "Canceled",
  [Code.UNKNOWN]: "Unknown",
  [Code.INVALID_ARGUMENT]: "InvalidArgument",
  [Code.DEADLINE_EXCEEDED]: "DeadlineExceeded",
  [Code.NOT_FOUND]: "NotFound",
  [Code.ALREADY_EXISTS]: "AlreadyExists",
  [Code.PERMISSION_DENIED]: "PermissionDenied",
  [Code.RESOURCE_EXHAUSTED]: "ResourceExhausted",
  [Code.FAILED_PRECONDITION]: "FailedPrecondition",
  [Code.ABORTED]: "Aborted",
  [Code.OUT_OF_RANGE]: "OutOfRange",
  [Code.UNIMPLEMENTED]: "Unimplemented",
  [Code.INTERNAL]: "Internal",
  [Code.UNAVAILABLE]: "Unavailable",
  [Code.DATA_LOSS]: "DataLoss",
  [Code.UNAUTHENTICATED]: "Unauthenticated",
};

/**
 * How upstream's sidecars and kubelet show an error in events and status (attachError, ProvisioningFailed,
 * FailedMount): a CSI failure as grpc-go prints it, "rpc error: code = <Code> desc = <driver's message>", which is
 * what users search for; anything else by its message.
 */
export function grpcErrorText(err: unknown): string {
  if (err instanceof CsiError) {
    return `rpc error: code = ${goCodeNames[err.code] ?? `Code(${err.code})`} desc = ${err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}
