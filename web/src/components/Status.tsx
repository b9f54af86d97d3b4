import type { ComponentChildren } from "preact";
import type { Loaded } from "../useApi";

/** Renders the loaded data, or says plainly that it is loading or what went wrong: the page is never left blank. */
export function Status<T>(props: { loaded: Loaded<T>; what: string; children: (data: T) => ComponentChildren }) {
  const { loaded, what } = props;
  if (loaded.state === "loading") {
    return (
      <p class="status" role="status" aria-live="polite">
        Loading {what}…
      </p>
    );
  }
  if (loaded.state === "error") {
    const { error } = loaded;
    const waiting = error.status === 503 && error.retryAfterSeconds !== undefined;
    return (
      <div class="status error" role="alert" data-error-code={error.code ?? "unreachable"}>
        <p>
          <strong>Could not load {what}.</strong> {error.message}
        </p>
        {waiting && <p>Trying again in {error.retryAfterSeconds} seconds.</p>}
      </div>
    );
  }
  return <>{props.children(loaded.data)}</>;
}
