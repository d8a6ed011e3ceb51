import {useSyncExternalStore} from 'react';

/**
 * Keys the console dropped because they would have acted on something the operator had not seen
 * yet (a list still loading, the row a move in the same read just left, what a key opened). The
 * frame says so on its status line until the next key, so a dropped key is never a silent one.
 */
type Dropped = {readonly count: number; readonly version: number};

let dropped: Dropped = {count: 0, version: 0};
const listeners = new Set<() => void>();

function publish(next: Dropped): void {
	dropped = next;
	for (const listener of listeners) listener();
}

export function noteDroppedKeys(count: number): void {
	if (count > 0) publish({count: dropped.count + count, version: dropped.version + 1});
}

/** Clears the notice, unless keys were dropped since `seenVersion` was drawn (this same read). */
export function clearDroppedKeys(seenVersion: number): void {
	if (dropped.count > 0 && dropped.version === seenVersion) publish({count: 0, version: dropped.version + 1});
}

/** A new console starts with no notice (one process may mount several, as tests do). */
export function resetDroppedKeys(): void {
	if (dropped.count > 0) publish({count: 0, version: dropped.version + 1});
}

export function droppedKeys(): Dropped {
	return dropped;
}

export function useDroppedKeys(): Dropped {
	return useSyncExternalStore(
		listener => {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		droppedKeys,
	);
}

/** "2 keys ignored: typed before the screen was ready" (short enough for one line at 50 columns). */
export function droppedKeysText(count: number): string {
	return `${count} key${count === 1 ? '' : 's'} ignored: typed before the screen was ready`;
}
