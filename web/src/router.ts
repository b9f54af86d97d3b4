import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "fixtures"; league: string | undefined }
  | { page: "match"; id: number }
  | { page: "team"; id: number; league: string | undefined }
  | { page: "model"; league: string | undefined }
  | { page: "missing"; path: string };

/** The page's addresses: /, /match/12, /team/7, /model; ?league=E0 where a league applies. */
export function parseRoute(location: { pathname: string; search: string }): Route {
  const league = new URLSearchParams(location.search).get("league") ?? undefined;
  const [, first = "", second] = location.pathname.split("/");
  const id = second !== undefined && /^[1-9][0-9]{0,9}$/.test(second) ? Number(second) : undefined;
  if (first === "" && second === undefined) return { page: "fixtures", league };
  if (first === "match" && id !== undefined) return { page: "match", id };
  if (first === "team" && id !== undefined) return { page: "team", id, league };
  if (first === "model" && second === undefined) return { page: "model", league };
  return { page: "missing", path: location.pathname };
}

/** Client-side navigation: same-origin links change the address and the view without reloading. */
export function navigate(href: string): void {
  history.pushState(null, "", href);
  dispatchEvent(new PopStateEvent("popstate"));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location));
    addEventListener("popstate", update);
    return () => removeEventListener("popstate", update);
  }, []);
  return route;
}

/** Intercepts plain left clicks on same-origin links; modified clicks (new tab...) keep the browser's behaviour. */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener("click", (event) => {
    const link = (event.target as Element).closest("a");
    if (link === null || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || link.target !== "") return;
    const url = new URL(link.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
}
