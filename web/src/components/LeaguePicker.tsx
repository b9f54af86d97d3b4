import { api, unwrap } from "../api/client";
import { useApi } from "../useApi";

/** A labelled select of the leagues; "All leagues" when `allowAll`. Changing it calls `onChange` with the code. */
export function LeaguePicker(props: { value: string | undefined; allowAll: boolean; onChange: (league: string | undefined) => void }) {
  const leagues = useApi("leagues", () => unwrap(api.GET("/api/v1/leagues")));
  const options = leagues.state === "ready" ? leagues.data.data : [];
  return (
    <label class="picker">
      League
      <select
        id="league-picker"
        value={props.value ?? ""}
        disabled={leagues.state !== "ready"}
        onChange={(event) => props.onChange((event.target as HTMLSelectElement).value || undefined)}
      >
        {props.allowAll && <option value="">All leagues</option>}
        {options.map((league) => (
          <option key={league.code} value={league.code}>
            {league.name} ({league.country})
          </option>
        ))}
      </select>
    </label>
  );
}
