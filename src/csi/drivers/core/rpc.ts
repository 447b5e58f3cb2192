// A driver's RPCs are plain functions of (its context, the decoded request), each in the file of its service area;
// a service is those functions bound to one context. Keeping them free functions lets each be read, split and
// tested on its own instead of living in one closure per service.
import type { CallContext } from "../../server.js";

/** The function behind RPC `K` of service `S`, for a driver whose context is `Ctx`. */
export type Rpc<Ctx, S, K extends keyof S> = S[K] extends (
  request: infer Request,
  context: CallContext,
) => infer Response
  ? (ctx: Ctx, request: Request) => Response
  : never;

/** Binds each RPC function to `ctx`; RPCs left out answer UNIMPLEMENTED (serveCsi). */
export function bindService<Ctx, S>(ctx: Ctx, rpcs: { [K in keyof S]?: Rpc<Ctx, S, K> }): Partial<S> {
  const service: Record<string, (request: unknown) => unknown> = {};
  for (const [name, rpc] of Object.entries(rpcs) as [string, (ctx: Ctx, request: unknown) => unknown][]) {
    service[name] = (request) => rpc(ctx, request);
  }
  // Each entry is Rpc<Ctx, S, K> with ctx applied, which is S[K]: the mapped type cannot say so itself.
  return service as Partial<S>;
}
