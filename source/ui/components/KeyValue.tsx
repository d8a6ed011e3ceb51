import {Box, Text} from 'ink';
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
				<Text wrap="truncate">{children}</Text>
			</Box>
		</Box>
	);
}
