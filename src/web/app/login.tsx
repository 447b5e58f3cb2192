// The login page: a bearer token (`stowage dashboard` prints one for the admin; any ServiceAccount token works),
// checked with a SelfSubjectReview before it is kept for the tab's session.
import { useState } from "preact/hooks";
import { forgetAccess, whoAmI } from "./access.js";
import { ApiFailure, forgetToken, saveToken } from "./session.js";

export function Login(props: { signedIn: (user: string) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string>();
  const submit = async (event: Event) => {
    event.preventDefault();
    saveToken(token.trim());
    forgetAccess();
    try {
      props.signedIn(await whoAmI());
    } catch (err) {
      forgetToken();
      setError(
        err instanceof ApiFailure && err.code === 401
          ? "The API refused this token (401 Unauthorized): paste the whole token, or get a fresh one with `stowage dashboard`."
          : `Could not sign in: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  };
  return (
    <main class="login">
      <h1>stowage</h1>
      <form onSubmit={submit}>
        <label for="token">Bearer token</label>
        <textarea
          id="token"
          name="token"
          rows={4}
          autocomplete="off"
          spellcheck={false}
          value={token}
          onInput={(e) => setToken((e.target as HTMLTextAreaElement).value)}
          required
        />
        <p class="hint">
          Run <code>stowage dashboard</code> for the admin's token, or <code>kubectl create token NAME</code> for a
          ServiceAccount's. It is kept for this tab only.
        </p>
        <button type="submit">Sign in</button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
