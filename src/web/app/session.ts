// The browser's one way to the API: same origin, the bearer token typed on the login page (kept in sessionStorage,
// so it dies with the tab), so RBAC holds the dashboard to exactly what the token's user may do.
const tokenKey = "stowage.token";

export const savedToken = (): string | undefined => sessionStorage.getItem(tokenKey) ?? undefined;
export const saveToken = (token: string): void => sessionStorage.setItem(tokenKey, token);
export const forgetToken = (): void => sessionStorage.removeItem(tokenKey);

/** A Kubernetes Status the API answered with instead of the object. */
export class ApiFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const tableAccept = "application/json;as=Table;g=meta.k8s.io;v=v1";

export interface ApiCall {
  method?: "GET" | "POST" | "PATCH" | "DELETE";
  body?: unknown;
  accept?: string;
  contentType?: string;
  signal?: AbortSignal;
}

/** One request with the session's token; a Status answer becomes an ApiFailure with its message. */
export async function call(path: string, options: ApiCall = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: options.accept ?? "application/json" };
  const token = savedToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers["content-type"] = options.contentType ?? "application/json";
  const response = await fetch(path, {
    method: options.method ?? "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
  });
  if (!response.ok) {
    const text = await response.text();
    let message = `${response.status} ${response.statusText}`;
    try {
      const status = JSON.parse(text) as { message?: string };
      if (status.message) message = status.message;
    } catch {
      // not a Status: the status line says enough
    }
    throw new ApiFailure(response.status, message);
  }
  return response;
}

export async function getJson<T>(path: string, options: ApiCall = {}): Promise<T> {
  return (await (await call(path, options)).json()) as T;
}
