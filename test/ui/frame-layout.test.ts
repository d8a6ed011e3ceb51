import fc from 'fast-check';
import {describe, expect, test} from 'vitest';
import {frameLayout, helpRows} from '../../source/ui/state/frame-layout.js';
import {wrapJoined, wrapWords} from '../../source/ui/text-fit.js';

const width = (line: string) => [...line].length;
const word = fc.string({unit: fc.constantFrom('a', 'b', 'é', '→', '1'), minLength: 1, maxLength: 14});
const part = fc.array(word, {minLength: 1, maxLength: 3}).map(words => words.join('\u00A0'));
const entry = fc.record({keys: fc.stringMatching(/^[a-zA-Z?/↑↓]{1,9}$/), description: fc.array(word, {minLength: 1, maxLength: 6}).map(words => words.join(' '))});

describe('frame layout', () => {
	test('title + body + help + status + keys add up to the frame, and no line is wider than the terminal', () => {
		fc.assert(
			fc.property(
				fc.integer({min: 20, max: 250}),
				fc.integer({min: 6, max: 80}),
				fc.array(part, {minLength: 1, maxLength: 12}),
				fc.option(fc.array(word, {minLength: 1, maxLength: 60}).map(words => words.join(' ')), {nil: undefined}),
				fc.option(fc.array(entry, {minLength: 1, maxLength: 25}), {nil: undefined}),
				(columns, rows, footer, status, help) => {
					const layout = frameLayout({columns, rows, footer, status, help});
					expect(layout.height).toBe(rows - 1);
					expect(layout.body).toBeGreaterThanOrEqual(1);
					const used = 1 + layout.body + layout.help.length + layout.status.length + layout.footer.length;
					// Exact whenever the fixed parts leave the body a row; a frame too small for its key
					// line alone is the only case where the parts claim more (Frame clips the rest).
					if (1 + layout.status.length + layout.footer.length < layout.height) expect(used).toBe(layout.height);
					for (const line of [...layout.footer, ...layout.status, ...layout.help]) expect(width(line)).toBeLessThanOrEqual(columns);
					// No key is lost from the key line.
					expect(layout.footer.join(' · ').replaceAll(/\s·\s|\s/g, '')).toBe(footer.join('').replaceAll(/\s/g, ''));
					// Help, when open, keeps the body at least min(5, half the room) rows.
					if (help) expect(layout.body).toBeGreaterThanOrEqual(Math.min(5, Math.ceil((layout.height - 1 - layout.status.length - layout.footer.length) / 2)));
				},
			),
			{numRuns: 400},
		);
	});

	test('the help shows every key or says how many it leaves out', () => {
		fc.assert(
			fc.property(fc.array(entry, {minLength: 1, maxLength: 30}), fc.integer({min: 20, max: 220}), fc.integer({min: 1, max: 40}), (entries, columns, room) => {
				const lines = helpRows(entries, columns, room);
				expect(lines.length).toBeLessThanOrEqual(room);
				for (const line of lines) expect(width(line)).toBeLessThanOrEqual(columns);
				const cut = lines.at(-1)?.match(/^\+(\d+) more keys/);
				if (room === 1) {
					expect(lines[0]).toMatch(/^Keys of this screen/);
					return;
				}
				const shownRows = lines.length - 1 - (cut ? 1 : 0);
				expect(shownRows).toBeGreaterThanOrEqual(0);
				if (!cut) {
					expect(lines[0]).toMatch(/^Keys of this screen/);
					// Every entry, keys and whole meaning, in order: nothing cut, only wrapped.
					const body = lines.slice(1).join('').replaceAll(/\s/g, '');
					expect(body).toBe(entries.map(({keys, description}) => keys + description).join('').replaceAll(/\s/g, ''));
				} else {
					expect(Number(cut[1])).toBeGreaterThan(0);
					expect(Number(cut[1])).toBeLessThanOrEqual(entries.length);
				}
			}),
			{numRuns: 400},
		);
	});

	test('wrapping keeps every word, in order, within the width', () => {
		fc.assert(
			fc.property(fc.array(word, {minLength: 1, maxLength: 40}), fc.integer({min: 1, max: 60}), (words, columns) => {
				const lines = wrapWords(words.join(' '), columns);
				for (const line of lines) expect(width(line)).toBeLessThanOrEqual(columns);
				expect(lines.join('').replaceAll(' ', '')).toBe(words.join(''));
				const joined = wrapJoined(words, ' · ', columns);
				for (const line of joined) expect(width(line)).toBeLessThanOrEqual(columns);
				// A part that fits the width is never split across lines.
				for (const item of words.filter(text => width(text) <= columns)) expect(joined.some(line => line.split(' · ').includes(item))).toBe(true);
			}),
			{numRuns: 400},
		);
	});
});
