import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Renders a terminal capture (`tmux capture-pane -p -e`: text with SGR escapes) to an SVG, with
 * no dependencies, for the readme. Each run of same-styled cells becomes one <text> with a fixed
 * textLength, so columns stay aligned whatever the viewer's monospace font.
 */
const PALETTE = [
	'#1e1e1e', '#f14c4c', '#23d18b', '#e5e510', '#3b8eea', '#d670d6', '#29b8db', '#cccccc',
	'#666666', '#f14c4c', '#23d18b', '#f5f543', '#3b8eea', '#d670d6', '#29b8db', '#ffffff',
];
const FOREGROUND = '#d4d4d4';
const BACKGROUND = '#1e1e1e';

type Style = {fg?: string | undefined; bg?: string | undefined; bold: boolean; dim: boolean; italic: boolean; underline: boolean; inverse: boolean};
type Cell = {char: string; style: Style};

const plain = (): Style => ({bold: false, dim: false, italic: false, underline: false, inverse: false});

function color256(index: number): string {
	if (index < 16) return PALETTE[index]!;
	if (index >= 232) {
		const level = 8 + (index - 232) * 10;
		return `rgb(${level},${level},${level})`;
	}
	const value = index - 16;
	const scale = (step: number) => (step === 0 ? 0 : 55 + step * 40);
	return `rgb(${scale(Math.floor(value / 36))},${scale(Math.floor(value / 6) % 6)},${scale(value % 6)})`;
}

function applySgr(style: Style, params: number[]): Style {
	const next = {...style};
	for (let index = 0; index < params.length; index++) {
		const code = params[index]!;
		if (code === 0) Object.assign(next, plain(), {fg: undefined, bg: undefined});
		else if (code === 1) next.bold = true;
		else if (code === 2) next.dim = true;
		else if (code === 3) next.italic = true;
		else if (code === 4) next.underline = true;
		else if (code === 7) next.inverse = true;
		else if (code === 22) next.bold = next.dim = false;
		else if (code === 23) next.italic = false;
		else if (code === 24) next.underline = false;
		else if (code === 27) next.inverse = false;
		else if (code >= 30 && code <= 37) next.fg = PALETTE[code - 30];
		else if (code >= 90 && code <= 97) next.fg = PALETTE[code - 90 + 8];
		else if (code === 39) next.fg = undefined;
		else if (code >= 40 && code <= 47) next.bg = PALETTE[code - 40];
		else if (code >= 100 && code <= 107) next.bg = PALETTE[code - 100 + 8];
		else if (code === 49) next.bg = undefined;
		else if ((code === 38 || code === 48) && params[index + 1] === 5) {
			const value = color256(params[index + 2] ?? 0);
			if (code === 38) next.fg = value;
			else next.bg = value;
			index += 2;
		} else if ((code === 38 || code === 48) && params[index + 1] === 2) {
			const value = `rgb(${params[index + 2] ?? 0},${params[index + 3] ?? 0},${params[index + 4] ?? 0})`;
			if (code === 38) next.fg = value;
			else next.bg = value;
			index += 4;
		}
	}
	return next;
}

export function parseAnsi(text: string): Cell[][] {
	const lines: Cell[][] = [];
	let style = plain();
	for (const line of text.replace(/\n$/, '').split('\n')) {
		const cells: Cell[] = [];
		// eslint-disable-next-line no-control-regex
		const pattern = /\u001B\[([0-9;:]*)([A-Za-z])|([^\u001B]+)|\u001B/g;
		for (const match of line.matchAll(pattern)) {
			if (match[2] === 'm') style = applySgr(style, (match[1] || '0').split(/[;:]/).map(Number));
			else if (match[3]) for (const char of match[3]) cells.push({char: char === '\u00A0' ? ' ' : char, style});
		}
		lines.push(cells);
	}
	return lines;
}

const escapeXml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const same = (a: Style, b: Style) => a.fg === b.fg && a.bg === b.bg && a.bold === b.bold && a.dim === b.dim && a.italic === b.italic && a.underline === b.underline && a.inverse === b.inverse;

export function ansiToSvg(text: string, options: {columns?: number; rows?: number; title?: string} = {}): string {
	const lines = parseAnsi(text);
	// capture-pane drops trailing blank lines: keep the terminal's full height.
	while (options.rows && lines.length < options.rows) lines.push([]);
	const columns = options.columns ?? Math.max(80, ...lines.map(line => line.length));
	const cell = {width: 8.4, height: 18};
	const pad = 12;
	const bar = 28;
	const width = Math.ceil(columns * cell.width + pad * 2);
	const height = Math.ceil(lines.length * cell.height + pad * 2 + bar);
	const out: string[] = [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="'DejaVu Sans Mono', 'SFMono-Regular', Menlo, Consolas, monospace" font-size="14">`,
		`<rect width="${width}" height="${height}" rx="8" fill="${BACKGROUND}"/>`,
		`<circle cx="18" cy="14" r="5" fill="#ff5f56"/><circle cx="36" cy="14" r="5" fill="#ffbd2e"/><circle cx="54" cy="14" r="5" fill="#27c93f"/>`,
	];
	if (options.title) out.push(`<text x="${width / 2}" y="18" fill="#9a9a9a" font-size="12" text-anchor="middle">${escapeXml(options.title)}</text>`);
	lines.forEach((line, row) => {
		const y = bar + pad + row * cell.height;
		let start = 0;
		while (start < line.length) {
			let end = start + 1;
			while (end < line.length && same(line[end]!.style, line[start]!.style)) end++;
			const style = line[start]!.style;
			const runText = line
				.slice(start, end)
				.map(item => item.char)
				.join('');
			let fg = style.fg ?? FOREGROUND;
			let bg = style.bg;
			if (style.inverse) [fg, bg] = [bg ?? BACKGROUND, fg];
			const x = pad + start * cell.width;
			const runWidth = (end - start) * cell.width;
			if (bg) out.push(`<rect x="${x.toFixed(1)}" y="${y}" width="${runWidth.toFixed(1)}" height="${cell.height}" fill="${bg}"/>`);
			if (runText.trim() !== '') {
				const attributes = [
					`x="${x.toFixed(1)}"`,
					`y="${y + 14}"`,
					`fill="${fg}"`,
					`textLength="${runWidth.toFixed(1)}"`,
					'lengthAdjust="spacingAndGlyphs"',
					'xml:space="preserve"',
					style.bold ? 'font-weight="bold"' : '',
					style.dim ? 'opacity="0.6"' : '',
					style.italic ? 'font-style="italic"' : '',
					style.underline ? 'text-decoration="underline"' : '',
				].filter(Boolean);
				out.push(`<text ${attributes.join(' ')}>${escapeXml(runText)}</text>`);
			}
			start = end;
		}
	});
	out.push('</svg>');
	return out.join('\n') + '\n';
}

/** Writes NAME.ansi.txt (the raw capture), NAME.svg and, when rsvg-convert is installed, NAME.png. */
export function saveScreenshot(ansi: string, dir: string, name: string): void {
	fs.mkdirSync(dir, {recursive: true});
	fs.writeFileSync(path.join(dir, `${name}.ansi.txt`), ansi);
	const svg = path.join(dir, `${name}.svg`);
	fs.writeFileSync(svg, ansiToSvg(ansi, {columns: 80, rows: 24, title: 'lifeboat'}));
	spawnSync('rsvg-convert', ['-o', path.join(dir, `${name}.png`), svg]);
}
