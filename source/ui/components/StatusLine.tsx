import {Box} from 'ink';
import {Text} from './Text.js';
import {useTheme} from '../theme.js';

export type Status = {kind: 'error' | 'ok' | 'info' | 'warn'; text: string; next?: string | undefined};

/** The status as one string: the mark, what happened and, for errors, the next step. */
export function statusText(status: Status): string {
	const mark = {error: '✗', ok: '✓', info: '·', warn: '!'}[status.kind];
	return `${mark} ${status.text}${status.next ? ` — ${status.next}` : ''}`;
}

/** What happened and, for errors, the next step; `lines` is the text already wrapped by the frame. */
export function StatusLine({status, lines}: {status: Status; lines?: readonly string[]}) {
	const theme = useTheme();
	const color = {error: theme.error, ok: theme.ok, info: undefined, warn: theme.warn}[status.kind];
	if (!lines) {
		return (
			<Text color={color} wrap="wrap">
				{statusText(status)}
			</Text>
		);
	}
	return (
		<Box flexDirection="column">
			{lines.map((line, index) => (
				// eslint-disable-next-line react/no-array-index-key
				<Text key={index} color={color} wrap="truncate">
					{line}
				</Text>
			))}
		</Box>
	);
}

export function errorStatus(text: string, next?: string): Status {
	return {kind: 'error', text, next};
}
