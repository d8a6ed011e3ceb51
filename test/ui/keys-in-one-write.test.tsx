import {stripVTControlCharacters} from 'node:util';
import fc from 'fast-check';
import {render} from 'ink-testing-library';
import {useState} from 'react';
import {afterEach, beforeAll, describe, expect, test} from 'vitest';
import {SelectList, type ListItem} from '../../source/ui/components/SelectList.js';
import {MultiSelectList} from '../../source/ui/components/MultiSelectList.js';
import {TextField} from '../../source/ui/components/TextField.js';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {demoGateway, KEY, renderApp, settled, waitForFrame, type Rendered} from './harness.js';

/**
 * Keys that reach the console in one read (tmux send-keys with several keys, fast typing over
 * SSH, a paste) are each applied, in order. Ink 6.8 hands such plain text to useInput as one
 * string ("jj", "?\r"); arrows in one read are separate events that arrive before React re-renders.
 */

const clean = (frame: string | undefined) => stripVTControlCharacters(frame ?? '');

let gateway: GatewayChoice;
let app: Rendered | undefined;
let unmount: (() => void) | undefined;

beforeAll(async () => {
	gateway = await demoGateway(33);
});

afterEach(() => {
	app?.unmount();
	app = undefined;
	unmount?.();
	unmount = undefined;
});

const rows: Array<ListItem<number>> = Array.from({length: 18}, (_, index) => ({key: `r${index}`, label: `row-${index + 1}`, value: index, disabled: index === 5}));

function renderList(height = 17) {
	const picked: number[] = [];
	const instance = render(<SelectList items={rows} height={height} onSelect={item => picked.push(item.value)} />);
	unmount = instance.unmount;
	const frame = () => clean(instance.lastFrame());
	return {instance, picked, frame, cursor: () => /› (row-\d+)/.exec(frame())?.[1]};
}

describe('a list, keys in one write', () => {
	test('"jj" moves twice, "kkk" three times back, two arrows in one write move twice', async () => {
		const list = renderList();
		await settled();
		expect(list.cursor()).toBe('row-1');
		list.instance.stdin.write('jj');
		await settled();
		expect(list.cursor()).toBe('row-3');
		list.instance.stdin.write(KEY.down + KEY.down);
		await settled();
		expect(list.cursor()).toBe('row-5');
		list.instance.stdin.write('kkk');
		await settled();
		expect(list.cursor()).toBe('row-2');
	});

	test('"jj\\r" selects the row it moved to; keys after that Enter are not applied', async () => {
		const list = renderList();
		await settled();
		list.instance.stdin.write('jj\rjj\r');
		await settled();
		expect(list.picked).toEqual([2]);
		expect(list.cursor()).toBe('row-3');
	});

	test('"G" then the position line; a disabled row is not picked; the window scrolls', async () => {
		const list = renderList();
		await settled();
		expect(list.frame()).toContain('1–16 of 18');
		list.instance.stdin.write('jjjjj\r');
		await settled();
		expect(list.cursor()).toBe('row-6');
		expect(list.picked).toEqual([]);
		list.instance.stdin.write('G');
		await settled();
		expect(list.frame()).toContain('3–18 of 18');
		expect(list.frame()).not.toContain('row-2\n');
		expect(list.cursor()).toBe('row-18');
	});

	test('for any run of j/k keys, one write lands where the same keys one at a time do', async () => {
		await fc.assert(
			fc.asyncProperty(fc.array(fc.constantFrom('j', 'k', 'G', 'g'), {minLength: 1, maxLength: 30}), async keys => {
				const together = renderList();
				await settled();
				together.instance.stdin.write(keys.join(''));
				await settled();
				const oneByOne = renderList();
				await settled();
				for (const key of keys) {
					oneByOne.instance.stdin.write(key);
					await settled();
				}
				expect(together.cursor()).toBe(oneByOne.cursor());
				together.instance.unmount();
				oneByOne.instance.unmount();
			}),
			{numRuns: 25},
		);
	});

	test('a checkbox list: "  " toggles twice, " j " ticks two rows, "a" ticks all', async () => {
		let selected = new Set<string>();
		const items = ['one', 'two', 'three'].map(value => ({value, label: value}));
		function Checks() {
			const [ticked, setTicked] = useState(selected);
			return (
				<MultiSelectList
					items={items}
					selected={ticked}
					height={5}
					onChange={next => {
						selected = next;
						setTicked(next);
					}}
					onSubmit={() => {}}
				/>
			);
		}
		const instance = render(<Checks />);
		unmount = instance.unmount;
		await settled();
		instance.stdin.write(' j ');
		await settled();
		expect([...selected].sort()).toEqual(['one', 'two']);
		instance.stdin.write('  ');
		await settled();
		expect([...selected].sort()).toEqual(['one', 'two']);
		expect(clean(instance.lastFrame())).toMatch(/› \[x\] two/);
		instance.stdin.write('a');
		await settled();
		expect([...selected].sort()).toEqual(['one', 'three', 'two']);
	});
});

describe('a text field, keys in one write', () => {
	function renderField(initialValue = '', mask?: string) {
		const submitted: string[] = [];
		const instance = render(<TextField label="Field" initialValue={initialValue} mask={mask} onSubmit={value => submitted.push(value)} />);
		unmount = instance.unmount;
		return {instance, submitted, frame: () => clean(instance.lastFrame())};
	}

	test('two reads before React re-renders both count (ink-text-input alone keeps only the last)', async () => {
		const field = renderField();
		await settled();
		field.instance.stdin.write('abc');
		field.instance.stdin.write('def');
		await settled();
		expect(field.frame()).toContain('› abcdef');
		field.instance.stdin.write(KEY.enter);
		await settled();
		expect(field.submitted).toEqual(['abcdef']);
	});

	test('"secret\\r" in one read types the text, then submits it', async () => {
		const field = renderField();
		await settled();
		field.instance.stdin.write('secret\r');
		await settled();
		expect(field.submitted).toEqual(['secret']);
	});

	test('Ctrl+U clears, Backspace in a read deletes, Left edits in the middle', async () => {
		const field = renderField('/old/path');
		await settled();
		field.instance.stdin.write(KEY.ctrlU);
		await settled();
		field.instance.stdin.write('ac');
		await settled();
		field.instance.stdin.write('\u001B[D');
		await settled();
		field.instance.stdin.write('b');
		await settled();
		expect(field.frame()).toContain('› abc');
		field.instance.stdin.write('xy\u007F\u007Fz\r');
		await settled();
		expect(field.submitted).toEqual(['abzc']);
	});

	test('a masked field shows one * per character, never the text', async () => {
		const field = renderField('', '*');
		await settled();
		field.instance.stdin.write('pass word');
		await settled();
		expect(field.frame()).toContain('› *********');
		expect(field.frame()).not.toContain('pass');
	});

	test('any text split into reads of any sizes, written before React re-renders, arrives whole', async () => {
		const printable = fc.string({unit: fc.constantFrom(...'abcXYZ019 !?#/-_.~\'"'.split('')), minLength: 1, maxLength: 80});
		await fc.assert(
			fc.asyncProperty(printable, fc.array(fc.integer({min: 1, max: 20}), {maxLength: 10}), async (text, cuts) => {
				const field = renderField();
				await settled();
				let rest = text;
				for (const cut of cuts) {
					field.instance.stdin.write(rest.slice(0, cut));
					rest = rest.slice(cut);
				}
				field.instance.stdin.write(rest + '\r');
				await settled();
				expect(field.submitted).toEqual([text]);
				field.instance.unmount();
			}),
			{numRuns: 40},
		);
	});
});

describe('the console, keys in one write', () => {
	test('"?\\r" on a list shows the help and selects', async () => {
		app = renderApp(gateway, {route: {name: 'create'}});
		await app.waitFor('What to back up');
		await app.press('j?');
		const frame = await app.waitFor(/Keys of this screen/);
		expect(frame).toMatch(/› Pick categories/);
		expect(frame).toMatch(/\?\s+show or hide this list of keys/);
		await app.press('?\r');
		const next = await app.waitFor('Pick categories');
		expect(next).toContain('[ ]');
	});

	test('keys typed with the Enter that opens the next step are dropped: the tenants list is not touched', async () => {
		app = renderApp(gateway, {route: {name: 'create'}});
		await app.waitFor('What to back up');
		await app.press('\rjj\r');
		const tenants = await app.waitFor('› All tenants');
		expect(tenants).toContain('Which tenants');
		// Dropped, but not silently: the status line says so until the next key.
		await app.waitFor('3 keys ignored: typed before the screen was ready');
		// One step forward only: Esc is back on the first step.
		await app.press(KEY.escape);
		await app.waitFor('What to back up');
		await app.press(KEY.enter);
		await app.waitFor('› All tenants');
		await app.press('jj');
		await waitForFrame(app.frame, '› Globex');
	});
});
