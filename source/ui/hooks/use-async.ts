import {useEffect, useState} from 'react';
import {describeError} from '../describe-error.js';

export type AsyncState<T> = {status: 'loading'} | {status: 'done'; value: T} | {status: 'error'; error: string};

const LOADING = {status: 'loading'} as const;

/** An answer together with the key it was computed for. */
type Keyed<T> = {key: readonly unknown[]; state: AsyncState<T>};

/** Same key by the rule React uses for effect dependencies (length and Object.is per item). */
export function sameKey(a: readonly unknown[], b: readonly unknown[]): boolean {
	return a.length === b.length && a.every((item, index) => Object.is(item, b[index]));
}

/**
 * Loads something once per `key` (a folder, a refresh counter); stale answers are dropped.
 * An answer is only ever returned for the key it was computed for: in the render where the key
 * changes (before the effect that reloads has run) the state is already `loading`, so a screen
 * never draws a frame of the previous key's rows (an entry just accepted, a backup just deleted).
 */
export function useAsync<T>(load: () => Promise<T>, key: readonly unknown[]): AsyncState<T> {
	const [current, setCurrent] = useState<Keyed<T>>(() => ({key, state: LOADING}));
	useEffect(() => {
		let live = true;
		// Also forgets an older answer for this same key (A → B → A reloads A, never shows the old A).
		setCurrent(previous => (sameKey(previous.key, key) && previous.state.status === 'loading' ? previous : {key, state: LOADING}));
		load().then(
			value => {
				if (live) setCurrent({key, state: {status: 'done', value}});
			},
			(error: unknown) => {
				if (live) setCurrent({key, state: {status: 'error', error: describeError(error)}});
			},
		);
		return () => {
			live = false;
		};
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, key);
	return sameKey(current.key, key) ? current.state : LOADING;
}
