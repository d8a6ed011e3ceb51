import {useCallback, useEffect, useRef, useState} from 'react';
import {describeError} from '../describe-error.js';

export type TaskState<T, P> =
	| {status: 'idle'}
	| {status: 'running'; progress?: P; startedAt: number}
	| {status: 'done'; result: T; startedAt: number; finishedAt: number}
	| {status: 'error'; error: string; cancelled: boolean};

export type TaskRunner<T, P> = (signal: AbortSignal, onProgress: (progress: P) => void) => Promise<T>;

/** Called once when this run settles (never for a run that was replaced, reset or unmounted). */
export type TaskHandlers<T> = {onDone?: (result: T) => void; onError?: (error: string, cancelled: boolean) => void};

/** How often progress reaches React state at most: engines report per file, screens need ~10/s. */
const PROGRESS_INTERVAL_MS = 100;

/**
 * Turns one engine call (promise + progress callback + abort signal) into React state. The job
 * is aborted if the screen goes away, so leaving a screen (or Ctrl+C) never leaves work behind.
 */
export function useTask<T, P = never>(): {state: TaskState<T, P>; start: (runner: TaskRunner<T, P>, handlers?: TaskHandlers<T>) => void; cancel: () => void; reset: () => void} {
	const [state, setState] = useState<TaskState<T, P>>({status: 'idle'});
	const controller = useRef<AbortController | undefined>(undefined);
	const generation = useRef(0);

	useEffect(
		() => () => {
			controller.current?.abort();
			generation.current++;
		},
		[],
	);

	const start = useCallback((runner: TaskRunner<T, P>, handlers: TaskHandlers<T> = {}) => {
		controller.current?.abort();
		const current = new AbortController();
		controller.current = current;
		const id = ++generation.current;
		const startedAt = Date.now();
		let lastReport = 0;
		let pending: P | undefined;
		let timer: NodeJS.Timeout | undefined;
		const flush = () => {
			timer = undefined;
			if (generation.current !== id || pending === undefined) return;
			const progress = pending;
			lastReport = Date.now();
			setState({status: 'running', progress, startedAt});
		};
		const onProgress = (progress: P) => {
			pending = progress;
			if (timer) return;
			const wait = PROGRESS_INTERVAL_MS - (Date.now() - lastReport);
			if (wait <= 0) flush();
			else timer = setTimeout(flush, wait);
		};
		setState({status: 'running', startedAt});
		runner(current.signal, onProgress).then(
			result => {
				if (timer) clearTimeout(timer);
				if (generation.current !== id) return;
				setState({status: 'done', result, startedAt, finishedAt: Date.now()});
				handlers.onDone?.(result);
			},
			(error: unknown) => {
				if (timer) clearTimeout(timer);
				if (generation.current !== id) return;
				const message = describeError(error);
				setState({status: 'error', error: message, cancelled: current.signal.aborted});
				handlers.onError?.(message, current.signal.aborted);
			},
		);
	}, []);

	const cancel = useCallback(() => {
		controller.current?.abort();
	}, []);

	const reset = useCallback(() => {
		controller.current?.abort();
		generation.current++;
		setState({status: 'idle'});
	}, []);

	return {state, start, cancel, reset};
}
