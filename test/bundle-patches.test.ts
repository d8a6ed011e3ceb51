import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import * as esbuild from 'esbuild';
import stringWidth from 'string-width';
import {afterAll, describe, expect, test} from 'vitest';
// @ts-expect-error: a plain JavaScript script (it runs before anything is compiled), no types.
import {patchPackages} from '../scripts/bundle.mjs';

/**
 * scripts/bundle.mjs edits string-width as it bundles it (the RGI emoji regex, ~50 ms to build,
 * is built only for a segment that may be an RGI emoji): the edited copy must measure every
 * string as the package does.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-patches-'));
afterAll(() => fs.rmSync(work, {recursive: true, force: true}));

/** string-width as the bundle has it. */
async function patchedStringWidth(): Promise<typeof stringWidth> {
	const outfile = path.join(work, 'string-width.mjs');
	await esbuild.build({stdin: {contents: "export {default} from 'string-width';", resolveDir: ROOT}, bundle: true, format: 'esm', platform: 'node', outfile, plugins: [patchPackages(ROOT)], logLevel: 'error'});
	expect(fs.readFileSync(outfile, 'utf8')).toContain('rgiEmojiRegexBuilt');
	return ((await import(pathToFileURL(outfile).href)) as {default: typeof stringWidth}).default;
}

describe('the bundle\'s string-width', () => {
	test('a single-character RGI emoji is always an Emoji_Presentation character (what the edit relies on), for every code point', () => {
		const rgi = /^\p{RGI_Emoji}$/v;
		const presentation = /\p{Emoji_Presentation}/u;
		const exceptions: string[] = [];
		let found = 0;
		for (let codePoint = 0; codePoint <= 0x10_FF_FF; codePoint++) {
			if (codePoint >= 0xD8_00 && codePoint <= 0xDF_FF) continue;
			const text = String.fromCodePoint(codePoint);
			if (!rgi.test(text)) continue;
			found++;
			if (!presentation.test(text)) exceptions.push(codePoint.toString(16));
		}
		// The check ran on the emoji data (over a thousand single-character emoji).
		expect(found).toBeGreaterThan(1000);
		expect(exceptions).toEqual([]);
	});

	test('measures every BMP character, every character of the emoji planes, and emoji sequences as the package does', async () => {
		const patched = await patchedStringWidth();
		const texts: string[] = [];
		for (let codePoint = 0x20; codePoint <= 0xFF_FF; codePoint++) if (codePoint < 0xD8_00 || codePoint > 0xDF_FF) texts.push(String.fromCodePoint(codePoint));
		for (let codePoint = 0x1_F0_00; codePoint <= 0x1_FB_FF; codePoint++) texts.push(String.fromCodePoint(codePoint));
		texts.push(
			'1\uFE0F\u20E3', '#\u20E3', '*\uFE0F\u20E3', '\u{1F1EB}\u{1F1F7}', '\u{1F1EB}', '\u{1F44D}\u{1F3FD}', '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}',
			'\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}', '\u00A9', '\u00A9\uFE0F', '\u2194', '\u2194\uFE0F', '\u263A\uFE0F', '\u2764\uFE0F\u200D\u{1F525}',
			'Tenants  3 · acme-corp, globex', '› Create backup', '↑↓/jk move · Enter select', '…', '한국어', '\u1100\u1161\u11A8', 'e\u0301', '日本語テキスト', 'ｶﾞ', '\u200B', 'a\u0000b',
		);
		const differ = texts.filter(text => patched(text) !== stringWidth(text) || patched(text, {ambiguousIsNarrow: false}) !== stringWidth(text, {ambiguousIsNarrow: false}));
		expect(differ).toEqual([]);
	});
});
