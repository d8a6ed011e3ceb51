import {isPlaceholder, isSecretName, M, SKIP, type Replacer} from './text-steps.js';
import {looksLikeCredential} from './assignments.js';

/** An element's text redacted between its blanks, unless it is blank, a placeholder or redacted already. */
function redactElementText(match: string, head: string, text: string, tail: string): string {
	const value = text.trim();
	if (value === '' || value.startsWith('[REDACTED') || isPlaceholder(value)) return match;
	const lead = text.slice(0, text.length - text.trimStart().length);
	const trail = text.slice(text.trimEnd().length);
	return `${head}${lead}${M}${trail}${tail}`;
}

/**
 * XML and .NET/Java config: `<add key="ApiKey" value="…"/>` and `<entry key="password">…</entry>`
 * (the name in one attribute, the secret in the next or in the element's text), and elements named
 * as a secret (`<password>…</password>`, `<client-secret>…</client-secret>`).
 */
export const XML_PATTERNS: Array<[RegExp, Replacer]> = [
	[
		new RegExp(`(\\b(?:key|name)[ \\t]*=[ \\t]*(["'])([^"'<>\\n]{1,100})\\2[ \\t]+value[ \\t]*=[ \\t]*(["']))${SKIP}([^"'\\n]{1,4096})\\4`, 'gi'),
		(match, head: string, _quote: string, name: string, close: string, value: string) =>
			isSecretName(name.trim()) && !isPlaceholder(value) ? `${head}${M}${close}` : match,
	],
	// The element's text is taken whole, blanks included, and trimmed in the replacer: blanks matched
	// apart from it (`>[ \t]*` then text that may itself be blanks) made the engine try every split,
	// cubic in a long run of blanks.
	[
		new RegExp(`(\\b(?:key|name)[ \\t]*=[ \\t]*(["'])([^"'<>\\n]{1,100})\\2[^<>\\n]{0,200}>)([^<\\n]{1,4096})(?=<)`, 'gi'),
		(match, head: string, _quote: string, name: string, text: string) => (isSecretName(name.trim()) ? redactElementText(match, head, text, '') : match),
	],
	[
		new RegExp(`(<([A-Za-z_][\\w.:-]{0,80})(?:[ \\t][^<>\\n]{0,500})?>)([^<\\n]{1,4096})(<\\/\\2>)`, 'g'),
		(match, head: string, tag: string, text: string, tail: string) => (isSecretName(tag.replace(/^.*:/, '')) ? redactElementText(match, head, text, tail) : match),
	],
];

/**
 * A markdown table's delimiter row (`|---|:--:|`, `--- | ---`): cells of dashes with optional
 * colons, split by at least one `|`, outer pipes optional.
 */
function isDelimiterRow(line: string): boolean {
	if (!line.includes('|') || !line.includes('-') || line.length > 8192) return false;
	const cells = line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|');
	return cells.every(cell => /^:?-+:?$/.test(cell.trim()));
}

/**
 * Markdown table rows that pair a secret name with a value (`| WEATHER_API_KEY | abc123 |`, the
 * name in any cell, in backticks or bold): the cell after the name is redacted. A row with a
 * leading `|` counts anywhere; one without (`Password | hunter2`) only in a table, from its
 * `--- | ---` row to the first line without a `|`, so a shell pipeline is no table. A header row
 * (the next line is the delimiter row) is not redacted.
 */
export function scrubTableRows(text: string): string {
	if (!text.includes('|')) return text;
	const lines = text.split('\n');
	let changed = false;
	let inTable = false;
	for (let index = 0; index < lines.length; index++) {
		const line = lines[index]!;
		if (isDelimiterRow(line)) {
			inTable = true;
			continue;
		}
		if (!line.includes('|')) inTable = false;
		const leading = /^[ \t]*\|/.test(line);
		if ((!leading && !inTable) || line.length > 8192 || isDelimiterRow(lines[index + 1] ?? '')) continue;
		const row = scrubTableRow(line, leading);
		if (row !== line) {
			lines[index] = row;
			changed = true;
		}
	}
	return changed ? lines.join('\n') : text;
}

/**
 * One table row with the cell after each secret name redacted, unless the value is a placeholder
 * or a dash, holds blanks (a description) while the name is no password, or is a number under a token name.
 */
function scrubTableRow(line: string, leading: boolean): string {
	const cells = line.split('|');
	const first = leading ? 1 : 0;
	const last = /\|[ \t]*\r?$/.test(line) ? cells.length - 2 : cells.length - 1;
	let changed = false;
	for (let cell = first; cell < last; cell++) {
		const name = cells[cell]!.trim().replace(/^(\*\*|`)(.*)\1$/, '$2');
		if (!/^[A-Za-z_][\w.-]{0,80}(?: [A-Za-z][\w.-]{0,40}){0,2}$/.test(name) || !isSecretName(name, true)) continue;
		const raw = cells[cell + 1]!;
		const value = raw.trim().replace(/^(`+|\*\*)(.*)\1$/, '$2');
		if (value === '' || isPlaceholder(value) || /^(?:-+|—|–|n\/a|tbd|todo|\?)$/i.test(value) || value.includes(M)) continue;
		if (/\s/.test(value) && !/pass|pwd/i.test(name) && !looksLikeCredential(value.split(/\s/)[0]!)) continue;
		if (name.toLowerCase().endsWith('token') && /^\d+$/.test(value)) continue;
		const at = raw.indexOf(value);
		cells[cell + 1] = raw.slice(0, at) + M + raw.slice(at + value.length);
		changed = true;
	}
	return changed ? cells.join('|') : line;
}
