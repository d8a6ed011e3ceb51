import {setTimeout as delay} from 'node:timers/promises';
import {LifeboatError} from '../errors.js';
import type {RetryNote} from './destination.js';

export type RetryPolicy = {
	/** Attempts in all (default 5). */
	attempts?: number;
	/** First delay; doubled each retry, with jitter, capped at 8 s (default 250 ms). */
	baseDelayMs?: number;
	signal?: AbortSignal;
	onRetry?: (note: RetryNote) => void;
};

/** Node and HTTP failures that are worth another try: the network or the server hiccupped. */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'TimeoutError', 'RequestTimeout', 'SlowDown', 'ServiceUnavailable', 'InternalError', 'ThrottlingException']);

/** A short reason for a retry note or an error line: "connection reset", "HTTP 503", "timeout". */
export function shortReason(error: unknown): string {
	const value = error as {code?: unknown; name?: unknown; statusCode?: unknown; $metadata?: {httpStatusCode?: number}; message?: unknown};
	const code = typeof value?.code === 'string' ? value.code : undefined;
	const status = typeof value?.statusCode === 'number' ? value.statusCode : value?.$metadata?.httpStatusCode;
	if (code === 'ECONNRESET') return 'connection reset';
	if (code === 'ECONNREFUSED') return 'connection refused';
	if (code === 'ETIMEDOUT' || value?.name === 'TimeoutError') return 'timeout';
	if (status && status >= 400) return `HTTP ${status}${code ? ` ${code}` : ''}`;
	const text = code ?? (typeof value?.name === 'string' && value.name !== 'Error' ? value.name : undefined) ?? String(value?.message ?? error);
	return text.split('\n')[0]!.slice(0, 160);
}

/** True for failures another attempt may get past (network errors, 5xx, 429, throttling). */
export function isTransient(error: unknown): boolean {
	if (error instanceof LifeboatError) return false;
	const value = error as {code?: unknown; name?: unknown; statusCode?: unknown; $metadata?: {httpStatusCode?: number}; $retryable?: unknown};
	const status = typeof value?.statusCode === 'number' ? value.statusCode : value?.$metadata?.httpStatusCode;
	if (status === 429 || (status !== undefined && status >= 500)) return true;
	if (value?.$retryable) return true;
	return (typeof value?.code === 'string' && TRANSIENT_CODES.has(value.code)) || (typeof value?.name === 'string' && TRANSIENT_CODES.has(value.name));
}

/**
 * Runs `work` until it succeeds, a failure is not transient (see `transient`), or the attempts
 * are used up; then rethrows the last failure. Each retry is reported through `onRetry`.
 */
export async function withRetry<T>(operation: string, work: (attempt: number) => Promise<T>, policy: RetryPolicy & {transient?: (error: unknown) => boolean} = {}): Promise<T> {
	const attempts = policy.attempts ?? 5;
	const transient = policy.transient ?? isTransient;
	for (let attempt = 1; ; attempt++) {
		try {
			return await work(attempt);
		} catch (error) {
			if (policy.signal?.aborted || attempt >= attempts || !transient(error)) throw error;
			const delayMs = Math.min(8000, (policy.baseDelayMs ?? 250) * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
			policy.onRetry?.({operation, attempt, of: attempts, delayMs: Math.round(delayMs), reason: shortReason(error)});
			await delay(delayMs, undefined, {signal: policy.signal}).catch(() => undefined);
		}
	}
}

/** One operator-facing line for a failure at a destination (exit 4), naming it. */
export function destinationError(label: string, what: string, cause?: unknown): LifeboatError {
	return new LifeboatError('destination', `${label}: ${what}`, {cause});
}

/** What an aborted operation rejects with: the signal's reason when it is an Error (the CLI's is an 'interrupted' LifeboatError). */
export function abortReason(signal: AbortSignal): Error {
	return signal.reason instanceof Error ? signal.reason : new LifeboatError('interrupted', 'interrupted');
}
