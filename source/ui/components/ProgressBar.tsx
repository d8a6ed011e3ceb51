import {Text} from './Text.js';
import {useTheme} from '../theme.js';

/** A fixed-width bar (no flex: it never grows past the width it is given). */
export function ProgressBar({ratio, width}: {ratio: number; width: number}) {
	const theme = useTheme();
	const clamped = Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 0;
	const cells = Math.max(4, width);
	const done = Math.round(clamped * cells);
	return (
		<Text>
			<Text color={theme.barDone}>{'█'.repeat(done)}</Text>
			<Text color={theme.barTodo} dimColor={!theme.color}>
				{'░'.repeat(cells - done)}
			</Text>
			<Text> {String(Math.floor(clamped * 100)).padStart(3)}%</Text>
		</Text>
	);
}
