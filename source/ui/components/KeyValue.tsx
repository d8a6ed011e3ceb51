import {Box} from 'ink';
import {Text} from './Text.js';
import {terminalSafe} from '../../core/terminal-safe.js';
import type {ReactNode} from 'react';

/** "Label        value" rows with a fixed label column. */
export function KeyValue({label, children, width = 14}: {label: string; children: ReactNode; width?: number}) {
	return (
		<Box>
			<Box width={width} flexShrink={0}>
				<Text dimColor wrap="truncate">
					{label}
				</Text>
			</Box>
			<Box flexShrink={1}>
				{/* One row: a line break in a value (a name, a path) is shown, not followed. */}
				<Text wrap="truncate">{typeof children === 'string' ? terminalSafe(children) : children}</Text>
			</Box>
		</Box>
	);
}
