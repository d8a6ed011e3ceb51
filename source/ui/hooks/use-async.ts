import {useEffect, useState} from 'react';
import {describeError} from '../describe-error.js';

export type AsyncState<T> = {status: 'loading'} | {status: 'done'; value: T} | {status: 'error'; error: string};

/** Loads something once per `key` (a folder, a refresh counter); stale answers are dropped. */
export function useAsync<T>(load: () => Promise<T>, key: readonly unknown[]): AsyncState<T> {
	const [state, setState] = useState<AsyncState<T>>({status: 'loading'});
	useEffect(() => {
		let live = true;
		setState({status: 'loading'});
		load().then(
			value => {
				if (live) setState({status: 'done', value});
			},
			(error: unknown) => {
				if (live) setState({status: 'error', error: describeError(error)});
			},
		);
		return () => {
			live = false;
		};
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, key);
	return state;
}
