import { render } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { FixturesPage } from "./pages/Fixtures";
import { MatchPage } from "./pages/Match";
import { ModelPage } from "./pages/Model";
import { TeamPage } from "./pages/Team";
import { type Route, interceptLinks, useRoute } from "./router";
import "./styles.css";

const TITLES: Record<Route["page"], string> = {
  fixtures: "Fixtures",
  match: "Match",
  team: "Team",
  model: "The model",
  missing: "Not found",
};

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "fixtures":
      return <FixturesPage league={route.league} />;
    case "match":
      return <MatchPage id={route.id} />;
    case "team":
      return <TeamPage id={route.id} league={route.league} />;
    case "model":
      return <ModelPage league={route.league} />;
    case "missing":
      return (
        <section>
          <h1>Page not found</h1>
          <p>
            There is no page at {route.path}. <a href="/">See the fixtures</a>.
          </p>
        </section>
      );
  }
}

function App() {
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  useEffect(() => {
    document.title = `${TITLES[route.page]} · Football predictions`;
    // After a client-side navigation, keyboard and screen-reader users start at the new content.
    if (document.activeElement !== document.body) main.current?.focus();
  }, [route]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="site">
        <a class="brand" href="/">
          Football predictions
        </a>
        <nav aria-label="Main">
          <ul>
            <li>
              <a href="/" aria-current={route.page === "fixtures" ? "page" : undefined}>
                Fixtures
              </a>
            </li>
            <li>
              <a href="/model" aria-current={route.page === "model" ? "page" : undefined}>
                Model
              </a>
            </li>
          </ul>
        </nav>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page route={route} />
      </main>
    </>
  );
}

const root = document.getElementById("app") as HTMLElement;
interceptLinks(root);
render(<App />, root);
