import {describeStoreError, LifeboatError} from '../core/errors.js';

/**
 * One line for any error: an operator error's own message, or a short "internal error" line for
 * a bug. Never a stack trace (LIFEBOAT_DEBUG=1 puts stacks on stderr from run-tui instead).
 */
export function describeError(error: unknown): string {
	if (error instanceof LifeboatError) return firstLine(error.message);
	// A store error the engine did not name (a damaged, locked or unwritable database), as the CLI says it.
	const store = describeStoreError(error);
	if (store) return firstLine(store.message);
	if (error instanceof Error && error.name === 'AbortError') return 'Cancelled';
	const message = error instanceof Error ? error.message : String(error);
	return `internal error: ${firstLine(message)}`;
}

function firstLine(text: string): string {
	return text.split('\n')[0]!.trim();
}
