/** Fixed-width cells for tables: cut with an ellipsis, pad to the width. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
	if (width <= 0) return '';
	const chars = [...text];
	const cut = chars.length > width ? chars.slice(0, Math.max(0, width - 1)).join('') + '…' : text;
	const pad = ' '.repeat(Math.max(0, width - [...cut].length));
	return align === 'right' ? pad + cut : cut + pad;
}

/** Keeps the end of a long path visible ("…/backups/lifeboat-backup-2026.zip"). */
export function fitPath(text: string, width: number): string {
	const chars = [...text];
	if (chars.length <= width) return text;
	if (width <= 1) return '…'.slice(0, width);
	return '…' + chars.slice(chars.length - width + 1).join('');
}

/**
 * One line of at most `width` columns that names a path between other text ("… into a new
 * gateway in PATH · nothing written yet"). A long path is cut at its start (fitPath), so its last,
 * most telling part stays visible, and keeps at least `minPath` columns: when the text around it
 * leaves fewer, the text after it goes, then the text before it is cut at its end.
 */
export function lineWithPath(prefix: string, text: string, suffix: string, width: number, minPath = 16): string {
	const length = (value: string) => [...value].length;
	if (length(prefix) + length(text) + length(suffix) <= width) return prefix + text + suffix;
	const least = Math.min(minPath, length(text), width);
	if (length(prefix) + least + length(suffix) <= width) return prefix + fitPath(text, width - length(prefix) - length(suffix)) + suffix;
	if (length(prefix) + least <= width) return prefix + fitPath(text, width - length(prefix));
	// "… new gatew… …/rebuilt/gateway": the cut text, a space, the path.
	const before = width - least - 1;
	if (before < 2) return fitPath(text, width);
	return `${[...prefix].slice(0, before - 1).join('')}… ${fitPath(text, least)}`;
}

/** "2026-01-05 09:00" in local time: compact enough for an 80-column list. */
export function shortDate(iso: string): string {
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) return '?';
	const pad = (value: number) => String(value).padStart(2, '0');
	return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * Greedy word wrap to `width` columns, the way a terminal shows it: breaks at spaces, cuts a
 * word longer than the width. Frame uses it to know how many rows a line takes before drawing.
 */
export function wrapWords(text: string, width: number): string[] {
	const lines: string[] = [];
	for (const paragraph of text.split('\n')) lines.push(...wrapJoined(paragraph.split(' '), ' ', width));
	return lines;
}

/** Joins `parts` with `separator` into lines of at most `width`, never splitting a part that fits. */
export function wrapJoined(parts: readonly string[], separator: string, width: number): string[] {
	const max = Math.max(1, width);
	const lines: string[] = [];
	let line = '';
	for (const part of parts) {
		const joined = line === '' ? part : line + separator + part;
		if ([...joined].length <= max) {
			line = joined;
			continue;
		}
		if (line !== '') lines.push(line);
		let rest = [...part];
		while (rest.length > max) {
			lines.push(rest.slice(0, max).join(''));
			rest = rest.slice(max);
		}
		line = rest.join('');
	}
	lines.push(line);
	return lines;
}
