import type {Key} from 'ink';
import {useRef} from 'react';
import {useConsoleInput} from './hooks/use-console-input.js';
import {noteDroppedKeys} from './state/dropped-keys.js';

/**
 * Every key binding of the console in one table of named commands. Screens say which commands
 * they handle; the help line is generated from the same table, so it never lies.
 */
export type CommandName =
	| 'up'
	| 'down'
	| 'pageUp'
	| 'pageDown'
	| 'first'
	| 'last'
	| 'select'
	| 'toggle'
	| 'toggleAll'
	| 'back'
	| 'help'
	| 'quit'
	| 'verify'
	| 'restore'
	| 'delete'
	| 'copy'
	| 'folder'
	| 'newDataDir'
	| 'switch'
	| 'test'
	| 'expand'
	| 'accept'
	| 'discard'
	| 'yes'
	| 'no'
	| 'cancel'
	| 'mark'
	| 'diff'
	| 'drill'
	| 'schedules'
	| 'add'
	| 'runNow';

type Binding = {
	readonly keys: string;
	readonly description: string;
	readonly match: (input: string, key: Key) => boolean;
	/** Also fires while a text field has the keyboard (so only keys a text field never types). */
	readonly inText?: boolean;
};

export const BINDINGS: Record<CommandName, Binding> = {
	up: {keys: '↑/k', description: 'move', match: (input, key) => key.upArrow || (input === 'k' && !key.ctrl)},
	down: {keys: '↓/j', description: 'move', match: (input, key) => key.downArrow || (input === 'j' && !key.ctrl)},
	pageUp: {keys: 'PgUp', description: 'page up', match: (_input, key) => key.pageUp},
	pageDown: {keys: 'PgDn', description: 'page down', match: (_input, key) => key.pageDown},
	first: {keys: 'g', description: 'first', match: (input, key) => key.home || input === 'g'},
	last: {keys: 'G', description: 'last', match: (input, key) => key.end || input === 'G'},
	select: {keys: 'Enter', description: 'select', match: (_input, key) => key.return},
	toggle: {keys: 'Space', description: 'toggle', match: input => input === ' '},
	toggleAll: {keys: 'a', description: 'all/none', match: input => input === 'a'},
	back: {keys: 'Esc/q', description: 'back', match: (input, key) => key.escape || input === 'q', inText: true},
	help: {keys: '?', description: 'help', match: input => input === '?'},
	quit: {keys: 'q', description: 'quit', match: input => input === 'q'},
	verify: {keys: 'v', description: 'verify', match: input => input === 'v'},
	restore: {keys: 'r', description: 'restore', match: input => input === 'r'},
	delete: {keys: 'd', description: 'delete', match: input => input === 'd'},
	copy: {keys: 'c', description: 'copy', match: input => input === 'c'},
	folder: {keys: 'f', description: 'folder', match: input => input === 'f'},
	newDataDir: {keys: 'n', description: 'into a new data dir', match: input => input === 'n'},
	switch: {keys: 's', description: 'destination', match: input => input === 's'},
	test: {keys: 't', description: 'test', match: input => input === 't'},
	expand: {keys: 'Enter', description: 'expand', match: (_input, key) => key.return},
	accept: {keys: 'a', description: 'accept backup version', match: input => input === 'a'},
	discard: {keys: 'x', description: 'discard', match: input => input === 'x'},
	yes: {keys: 'y', description: 'yes', match: input => input === 'y' || input === 'Y'},
	no: {keys: 'n', description: 'no', match: (input, key) => input === 'n' || input === 'N' || key.escape},
	cancel: {keys: 'Esc', description: 'cancel', match: (_input, key) => key.escape, inText: true},
	mark: {keys: 'm', description: 'mark', match: input => input === 'm'},
	diff: {keys: '=', description: 'diff', match: input => input === '='},
	drill: {keys: 'd', description: 'DR drill', match: input => input === 'd'},
	schedules: {keys: 's', description: 'schedules', match: input => input === 's'},
	add: {keys: 'a', description: 'add', match: input => input === 'a'},
	runNow: {keys: 'r', description: 'run now', match: input => input === 'r'},
};

export type CommandHandlers = Partial<Record<CommandName, (() => void) | undefined>>;

/**
 * The first handled command matching a key press. `textEntry` means a text field has the
 * keyboard: letters are typing, so only `inText` bindings (Esc) count.
 */
export function matchCommand(input: string, key: Key, handled: readonly CommandName[], textEntry = false): CommandName | undefined {
	// Esc arrives as key.escape with an empty input; q typed into a field must stay a letter.
	return handled.find(name => {
		const binding = BINDINGS[name];
		if (textEntry && !binding.inText) return false;
		if (textEntry && name === 'back') return key.escape;
		return binding.match(input, key);
	});
}

export type KeyPress = {readonly input: string; readonly key: Key};

const NO_KEY: Key = {
	upArrow: false,
	downArrow: false,
	leftArrow: false,
	rightArrow: false,
	pageDown: false,
	pageUp: false,
	home: false,
	end: false,
	return: false,
	escape: false,
	ctrl: false,
	shift: false,
	tab: false,
	backspace: false,
	delete: false,
	meta: false,
	super: false,
	hyper: false,
	capsLock: false,
	numLock: false,
};

/** One character of a chunk as Ink would have reported it had it arrived alone. */
function keyOfChar(char: string): KeyPress {
	if (char === '\r') return {input: '', key: {...NO_KEY, return: true}};
	if (char === '\t') return {input: '', key: {...NO_KEY, tab: true}};
	if (char === '\u007F') return {input: '', key: {...NO_KEY, delete: true}};
	if (char === '\b') return {input: '', key: {...NO_KEY, backspace: true}};
	const code = char.codePointAt(0)!;
	if (code >= 1 && code <= 26 && char !== '\n') return {input: String.fromCodePoint(code + 96), key: {...NO_KEY, ctrl: true}};
	return {input: char, key: {...NO_KEY, shift: /^[A-Z]$/.test(char)}};
}

/**
 * The key presses one Ink input event stands for. Ink 6.8 hands plain text that arrived in one
 * read to useInput as one string ("jj", "?\r", a pasted line); escape sequences (arrows, Esc)
 * always come alone. Outside a text field every character is a key of its own, applied in order.
 */
export function splitKeys(input: string, key: Key): KeyPress[] {
	const chars = [...input];
	const plain = !key.ctrl && !key.meta && !key.escape && !key.return && !key.tab && !key.backspace && !key.delete;
	if (chars.length <= 1 || !plain) return [{input, key}];
	return chars.map(keyOfChar);
}

const MOVES: readonly CommandName[] = ['up', 'down', 'pageUp', 'pageDown', 'first', 'last'];

/** Commands after which the rest of a read still belongs to the same screen. */
const KEEPS_READING: ReadonlySet<CommandName> = new Set(['up', 'down', 'pageUp', 'pageDown', 'first', 'last', 'toggle', 'toggleAll', 'help', 'mark']);

/** Routes key presses to a screen's handlers through the binding table, one key at a time. */
export function useCommands(handlers: CommandHandlers, options: {isActive?: boolean; textEntry?: boolean} = {}): void {
	const latest = useRef(handlers);
	latest.current = handlers;
	useConsoleInput(
		(input, key) => {
			// True once a list elsewhere (reading keys on its own) moved in this read: what this screen
			// knows of its cursor is older than that move.
			let movedElsewhere = false;
			const presses = splitKeys(input, key);
			for (const [index, press] of presses.entries()) {
				// Each key sees the handlers as the previous one left them (a screen re-renders in between
				// only when keys arrive in separate reads).
				const current = latest.current;
				const handled = (Object.keys(current) as CommandName[]).filter(name => current[name]);
				const name = matchCommand(press.input, press.key, handled, options.textEntry);
				if (!name) {
					movedElsewhere ||= !options.textEntry && MOVES.some(move => BINDINGS[move].match(press.input, press.key));
					continue;
				}
				// "jjr": r would restore the backup the cursor left; it and the rest of the read are dropped.
				if (movedElsewhere && !KEEPS_READING.has(name)) {
					noteDroppedKeys(presses.length - index);
					return;
				}
				current[name]?.();
				// Anything but a move opens or closes something (a prompt, a step, a screen): the rest of
				// this read was typed for what it opens, so it is not read as this screen's commands.
				if (!KEEPS_READING.has(name)) {
					noteDroppedKeys(presses.length - index - 1);
					return;
				}
			}
		},
		{isActive: options.isActive ?? true},
	);
}

/** "↑/k move · Enter select · Esc/q back" for the commands a screen offers. */
export function helpText(commands: readonly CommandName[], textEntry = false): string {
	return helpParts(commands, textEntry).join(' · ');
}

/** The parts of the key line ("↑↓/jk move", "Enter select", …), each kept whole when it wraps. */
export function helpParts(commands: readonly CommandName[], textEntry = false): string[] {
	const seen = new Set<string>();
	const parts: string[] = [];
	for (const name of commands) {
		const binding = BINDINGS[name];
		if (name === 'down' && commands.includes('up')) continue;
		let keys = name === 'up' && commands.includes('down') ? '↑↓/jk' : binding.keys;
		if (textEntry && name === 'back') keys = 'Esc';
		// No-break spaces keep each key with its meaning when the help line wraps.
		// In a text field Enter hands the typed text over: there is nothing to select.
		const description = name === 'up' ? 'move' : textEntry && name === 'select' ? 'confirm' : binding.description;
		const text = `${keys}\u00A0${description}`.replaceAll(' ', '\u00A0');
		if (seen.has(text)) continue;
		seen.add(text);
		parts.push(text);
	}
	return parts;
}
