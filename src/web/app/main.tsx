// The dashboard's shell: the login page until a token is kept, then a header with the views and a hash route
// (#/map, #/list/<resource>, #/claim/<namespace>/<name>, #/node/<name>), so every view has a link of its own.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./style.css";
import { forgetAccess, whoAmI } from "./access.js";
import { Login } from "./login.js";
import { KindList, listKinds } from "./lists.js";
import { MapView } from "./map.js";
import { ClaimView } from "./claim.js";
import { NodeView } from "./node.js";
import { forgetToken, savedToken } from "./session.js";

function useRoute(): string[] {
  const read = () => (location.hash.replace(/^#\/?/, "") || "map").split("/").map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const changed = () => setRoute(read());
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return route;
}

function App() {
  const [user, setUser] = useState<string | undefined>();
  const [checking, setChecking] = useState(savedToken() !== undefined);
  useEffect(() => {
    if (!savedToken()) return;
    whoAmI()
      .then(setUser, () => forgetToken())
      .finally(() => setChecking(false));
  }, []);
  const route = useRoute();
  if (checking) return <p class="loading">Signing in…</p>;
  if (!user) return <Login signedIn={setUser} />;
  const signOut = () => {
    forgetToken();
    forgetAccess();
    setUser(undefined);
  };
  return (
    <>
      <header>
        <a class="brand" href="#/map">
          stowage
        </a>
        <nav aria-label="views">
          <a href="#/map" aria-current={route[0] === "map" ? "page" : undefined}>
            Map
          </a>
          {listKinds.map((kind) => (
            <a
              key={kind.route}
              href={`#/list/${kind.route}`}
              aria-current={route[0] === "list" && route[1] === kind.route ? "page" : undefined}
            >
              {kind.title}
            </a>
          ))}
        </nav>
        <span class="user" data-user={user}>
          {user}
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>
        <View route={route} />
      </main>
    </>
  );
}

function View(props: { route: string[] }) {
  const [view, ...rest] = props.route;
  if (view === "list") {
    const kind = listKinds.find((k) => k.route === rest[0]);
    if (kind) return <KindList key={kind.route} kind={kind} />;
  }
  if (view === "claim" && rest.length === 2) {
    return <ClaimView key={rest.join("/")} namespace={rest[0]} name={rest[1]} />;
  }
  if (view === "node" && rest.length === 1) return <NodeView key={rest[0]} name={rest[0]} />;
  return <MapView />;
}

const root = document.getElementById("app");
if (root) render(<App />, root);
