import type {Key} from 'ink';
import {describe, expect, test} from 'vitest';
import {splitKeys} from '../../source/ui/keys.js';
import {applyInput} from '../../source/ui/state/text-edit.js';

const plain = {upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false, return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false, super: false, hyper: false, capsLock: false, numLock: false} satisfies Key;

describe('splitKeys: one Ink event, the keys it stands for', () => {
	test('plain text splits into characters; Enter, Backspace and Ctrl letters become those keys', () => {
		expect(splitKeys('jj', plain).map(press => press.input)).toEqual(['j', 'j']);
		const [question, enter] = splitKeys('?\r', plain);
		expect(question).toMatchObject({input: '?'});
		expect(enter).toMatchObject({input: '', key: {return: true}});
		expect(splitKeys('a\u007F', plain)[1]).toMatchObject({input: '', key: {delete: true}});
		expect(splitKeys('x\u0015', plain)[1]).toMatchObject({input: 'u', key: {ctrl: true}});
		expect(splitKeys('Gg', plain).map(press => [press.input, press.key.shift])).toEqual([
			['G', true],
			['g', false],
		]);
		expect(splitKeys('😀j', plain).map(press => press.input)).toEqual(['😀', 'j']);
	});

	test('a single key, an escape sequence or a modified key is left as it came', () => {
		expect(splitKeys('j', plain)).toEqual([{input: 'j', key: plain}]);
		const up = {...plain, upArrow: true};
		expect(splitKeys('', up)).toEqual([{input: '', key: up}]);
		const meta = {...plain, meta: true};
		expect(splitKeys('b', meta)).toEqual([{input: 'b', key: meta}]);
	});
});

describe('applyInput: a text field applies every key of an event in order', () => {
	test('text, Backspace and Enter in one event', () => {
		expect(applyInput({value: '', cursor: 0}, 'secret\r', plain)).toEqual({edit: {value: 'secret', cursor: 6}, submit: true, alike: false});
		expect(applyInput({value: 'ab', cursor: 2}, 'cd\u007F\u007Fx', plain).edit).toEqual({value: 'abx', cursor: 3});
		expect(applyInput({value: 'ac', cursor: 1}, 'b', plain)).toEqual({edit: {value: 'abc', cursor: 2}, submit: false, alike: true});
		// Line breaks and other control characters are not typed.
		expect(applyInput({value: '', cursor: 0}, 'a\nb\u0007', plain).edit.value).toBe('ab');
	});

	test('Ctrl+U clears; Left at the start stays there (ink-text-input would not: redraw)', () => {
		expect(applyInput({value: 'abc', cursor: 3}, 'u', {...plain, ctrl: true})).toMatchObject({edit: {value: '', cursor: 0}, alike: false});
		expect(applyInput({value: 'abc', cursor: 0}, '', {...plain, leftArrow: true})).toMatchObject({edit: {value: 'abc', cursor: 0}, alike: false});
		expect(applyInput({value: 'abc', cursor: 2}, '', {...plain, leftArrow: true})).toMatchObject({edit: {value: 'abc', cursor: 1}, alike: true});
	});
});
