// Which resource a request path names, as upstream's RequestInfoFactory reads it:
// /api/v1[/watch][/namespaces/{ns}]/{resource}[/{name}[/{subresource}]] and the same under /apis/{group}/{version}.
import { badRequest } from "./errors.js";

export interface ResourcePath {
  group: string;
  version: string;
  /** The namespace in the path (namespaced requests), or the namespace name for …/namespaces/{name}. */
  namespace?: string;
  plural: string;
  name?: string;
  subresource?: string;
  /** The deprecated /watch/ path form. */
  watchPath: boolean;
}

export function parseResourcePath(path: string): ResourcePath | undefined {
  const parts = path.split("/").filter((p) => p !== "");
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 3) {
    group = "";
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 4) {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else return undefined;
  let watchPath = false;
  if (rest[0] === "watch") {
    watchPath = true;
    rest = rest.slice(1);
  }
  if (rest.length === 0) return undefined;
  let namespace: string | undefined;
  // "namespaces/{ns}/{resource}…" is a namespaced resource; "namespaces[/{name}[/{sub}]]" the namespaces themselves
  const namespaceSubresource =
    rest[0] === "namespaces" && rest.length === 3 && (rest[2] === "status" || rest[2] === "finalize");
  if (rest[0] === "namespaces" && rest.length >= 3 && !namespaceSubresource) {
    namespace = decodeSegment(rest[1]);
    rest = rest.slice(2);
  }
  if (rest.length > 3) return undefined;
  const [plural, name, subresource] = rest.map(decodeSegment);
  return { group, version, namespace, plural, name, subresource, watchPath };
}

/** A path segment's %-escapes decoded; a malformed one ("%ZZ", a cut UTF-8 sequence) is the client's error. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`invalid URL escape in the path segment ${JSON.stringify(segment)}`);
  }
}
