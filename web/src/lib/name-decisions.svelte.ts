// What the household decided for a name on this page view (allowed or blocked, for a device or for
// everyone), shared by every row that shows the name: after "Allow" on one row of the query log, the other
// rows of the same name say it is allowed instead of offering "Allow" again.
import { SvelteMap } from 'svelte/reactivity';

const decisions = new SvelteMap<string, string>();

function key(name: string, deviceId: number | null): string {
  return `${deviceId ?? '*'}\u0000${name}`;
}

/** Remembers a decision for `name` (deviceId null: for every device). */
export function decide(name: string, deviceId: number | null, message: string): void {
  decisions.set(key(name, deviceId), message);
}

/** The decision that covers `name` on `deviceId`: one for that device, else one for everyone. */
export function decisionFor(name: string, deviceId: number | null): string | undefined {
  return (
    (deviceId === null ? undefined : decisions.get(key(name, deviceId))) ?? decisions.get(key(name, null))
  );
}
