import {Text} from 'ink';
import {useTheme} from '../theme.js';

export type Status = {kind: 'error' | 'ok' | 'info' | 'warn'; text: string; next?: string | undefined};

/** One line: what happened and, for errors, the next step. */
export function StatusLine({status}: {status: Status}) {
	const theme = useTheme();
	const mark = {error: '✗', ok: '✓', info: '·', warn: '!'}[status.kind];
	const color = {error: theme.error, ok: theme.ok, info: undefined, warn: theme.warn}[status.kind];
	return (
		<Text color={color} wrap="wrap">
			{mark} {status.text}
			{status.next ? ` — ${status.next}` : ''}
		</Text>
	);
}

export function errorStatus(text: string, next?: string): Status {
	return {kind: 'error', text, next};
}
