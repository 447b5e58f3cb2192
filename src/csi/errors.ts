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
