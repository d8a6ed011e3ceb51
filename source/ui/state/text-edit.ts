import type {Key} from 'ink';
import {splitKeys} from '../keys.js';

/** A one-line field's text and cursor (in code points). */
export type Edit = {readonly value: string; readonly cursor: number};

export type EditResult = {
	edit: Edit;
	/** Enter was pressed: submit `edit.value` (keys after it in the same read are dropped). */
	submit: boolean;
	/**
	 * Whether ink-text-input, reading the same event against up-to-date props, leaves its cursor
	 * where this edit does. When false the wrapper redraws it afresh (its cursor goes to the end).
	 */
	alike: boolean;
};

const CONTROL = /[\u0000-\u001F\u007F]/;

/**
 * Applies one Ink input event to a field. A chunk of several characters (a paste, or keys typed
 * faster than one read) is applied key by key: text is inserted at the cursor, Backspace deletes,
 * Enter submits what came before it.
 */
export function applyInput(start: Edit, input: string, key: Key): EditResult {
	const presses = splitKeys(input, key);
	let edit = start;
	const single = presses.length === 1;
	let alike = true;
	for (const press of presses) {
		if (press.key.return) return {edit, submit: true, alike: single && alike};
		const next = applyKey(edit, press.input, press.key);
		alike &&= single && next.alike;
		edit = next.edit;
	}
	// A plain paste (no control characters) is inserted at the cursor by ink-text-input too.
	if (!single && !CONTROL.test(input) && !key.ctrl && !key.meta) alike = true;
	return {edit, submit: false, alike};
}

function applyKey({value, cursor}: Edit, input: string, key: Key): {edit: Edit; alike: boolean} {
	const chars = [...value];
	const keep = {edit: {value, cursor}, alike: true};
	if (key.backspace || key.delete) {
		if (cursor === 0) return keep;
		return {edit: {value: [...chars.slice(0, cursor - 1), ...chars.slice(cursor)].join(''), cursor: cursor - 1}, alike: true};
	}
	// ink-text-input moves left of the first character (and then inserts before the last one).
	if (key.leftArrow) return {edit: {value, cursor: Math.max(0, cursor - 1)}, alike: cursor > 0};
	if (key.rightArrow) return {edit: {value, cursor: Math.min(chars.length, cursor + 1)}, alike: true};
	if (key.ctrl && input === 'u') return {edit: {value: '', cursor: 0}, alike: false};
	if (key.upArrow || key.downArrow || key.tab || (key.ctrl && input === 'c')) return keep;
	// Other control keys type nothing here; ink-text-input would type their letter.
	if (key.ctrl || key.meta) return {...keep, alike: input === ''};
	if (key.escape || key.pageUp || key.pageDown || key.home || key.end) return keep;
	// Control characters and line breaks are not part of a line. ink-text-input counts UTF-16 units,
	// so text with characters beyond them (emoji) leaves its cursor elsewhere.
	const typed = [...input.replace(/[\u0000-\u001F\u007F]/g, '')];
	if (typed.length === 0) return {...keep, alike: input === ''};
	return {edit: {value: [...chars.slice(0, cursor), ...typed, ...chars.slice(cursor)].join(''), cursor: cursor + typed.length}, alike: typed.length === input.length};
}
