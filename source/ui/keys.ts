import {useInput, type Key} from 'ink';
import {useRef} from 'react';

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
	| 'expand'
	| 'accept'
	| 'discard'
	| 'yes'
	| 'no'
	| 'cancel';

type Binding = {
	readonly keys: string;
	readonly description: string;
	/** The longer meaning shown in the `?` help (the footer keeps `description`). */
	readonly help?: string;
	readonly match: (input: string, key: Key) => boolean;
	/** Also fires while a text field has the keyboard (so only keys a text field never types). */
	readonly inText?: boolean;
};

export const BINDINGS: Record<CommandName, Binding> = {
	up: {keys: '↑/k', description: 'move', help: 'up one row', match: (input, key) => key.upArrow || (input === 'k' && !key.ctrl)},
	down: {keys: '↓/j', description: 'move', help: 'down one row', match: (input, key) => key.downArrow || (input === 'j' && !key.ctrl)},
	pageUp: {keys: 'PgUp', description: 'page up', help: 'one page up', match: (_input, key) => key.pageUp},
	pageDown: {keys: 'PgDn', description: 'page down', help: 'one page down', match: (_input, key) => key.pageDown},
	first: {keys: 'g/Home', description: 'first', help: 'first row', match: (input, key) => key.home || input === 'g'},
	last: {keys: 'G/End', description: 'last', help: 'last row', match: (input, key) => key.end || input === 'G'},
	select: {keys: 'Enter', description: 'select', help: 'choose the highlighted row', match: (_input, key) => key.return},
	toggle: {keys: 'Space', description: 'toggle', help: 'tick or untick the highlighted row', match: input => input === ' '},
	toggleAll: {keys: 'a', description: 'all/none', help: 'tick every row, or none', match: input => input === 'a'},
	back: {keys: 'Esc/q', description: 'back', help: 'back one step', match: (input, key) => key.escape || input === 'q', inText: true},
	help: {keys: '?', description: 'help', help: 'show or hide this list of keys', match: input => input === '?'},
	quit: {keys: 'q', description: 'quit', help: 'quit the console', match: input => input === 'q'},
	verify: {keys: 'v', description: 'verify', help: 'verify: read every file, check every checksum', match: input => input === 'v'},
	restore: {keys: 'r', description: 'restore', help: 'restore from this backup', match: input => input === 'r'},
	delete: {keys: 'd', description: 'delete', help: 'delete this backup file (asks first)', match: input => input === 'd'},
	copy: {keys: 'c', description: 'copy', help: 'copy this backup to a folder or file', match: input => input === 'c'},
	folder: {keys: 'f', description: 'folder', help: 'look in another backups folder', match: input => input === 'f'},
	expand: {keys: 'Enter', description: 'expand', help: 'list the conflicts of the highlighted row', match: (_input, key) => key.return},
	accept: {keys: 'a', description: 'accept backup version', help: 'accept: the backup version replaces the live one (asks first)', match: input => input === 'a'},
	discard: {keys: 'x', description: 'discard', help: 'discard: keep the live version, delete the quarantined copy (asks first)', match: input => input === 'x'},
	yes: {keys: 'y', description: 'yes', help: 'yes, do it', match: input => input === 'y' || input === 'Y'},
	no: {keys: 'n/Esc', description: 'no', help: 'no, leave things as they are', match: (input, key) => input === 'n' || input === 'N' || key.escape},
	cancel: {keys: 'Esc', description: 'cancel', help: 'cancel the running task', match: (_input, key) => key.escape, inText: true},
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

/** Routes key presses to a screen's handlers through the binding table. */
export function useCommands(handlers: CommandHandlers, options: {isActive?: boolean; textEntry?: boolean} = {}): void {
	const latest = useRef(handlers);
	latest.current = handlers;
	useInput(
		(input, key) => {
			const current = latest.current;
			const handled = (Object.keys(current) as CommandName[]).filter(name => current[name]);
			const name = matchCommand(input, key, handled, options.textEntry);
			if (name) current[name]?.();
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
		const text = `${keys}\u00A0${name === 'up' ? 'move' : binding.description}`.replaceAll(' ', '\u00A0');
		if (seen.has(text)) continue;
		seen.add(text);
		parts.push(text);
	}
	return parts;
}

/** The moves every list handles besides ↑/↓, listed in the `?` help of any screen with a list. */
const LIST_KEYS: readonly CommandName[] = ['pageUp', 'pageDown', 'first', 'last'];

/** Keys the help shows as one entry when a screen has both. */
const PAIRS: ReadonlyArray<readonly [CommandName, CommandName, string, string]> = [
	['up', 'down', '↑↓/jk', 'move one row'],
	['pageUp', 'pageDown', 'PgUp/PgDn', 'move one page'],
	['first', 'last', 'g/G', 'first / last row (also Home / End)'],
];

/**
 * Every key of a screen for the `?` help, with its meaning there: the footer's commands, the list
 * moves the footer leaves out, `?` itself and Ctrl+C. `meanings` says what a key does on this
 * screen when that is more than the table's generic words ("Enter: show details").
 */
export function helpEntries(commands: readonly CommandName[], textEntry = false, meanings: Partial<Record<CommandName, string>> = {}): Array<{keys: string; description: string}> {
	const names: CommandName[] = [...commands];
	if (commands.includes('down') && !textEntry) names.splice(names.indexOf('down') + 1, 0, ...LIST_KEYS.filter(name => !commands.includes(name)));
	if (!textEntry && !names.includes('help')) names.push('help');
	const entries: Array<{keys: string; description: string}> = [];
	for (const name of names) {
		const pair = PAIRS.find(([first]) => first === name);
		if (pair && names.includes(pair[1])) {
			entries.push({keys: pair[2], description: pair[3]});
			continue;
		}
		if (PAIRS.some(([first, second]) => second === name && names.includes(first))) continue;
		const binding = BINDINGS[name];
		const keys = textEntry && name === 'back' ? 'Esc' : binding.keys;
		entries.push({keys, description: meanings[name] ?? binding.help ?? binding.description});
	}
	if (textEntry) entries.push({keys: 'typing', description: 'edits the field (← → move, Backspace deletes)'});
	entries.push({keys: 'Ctrl+C', description: 'quit the console at once'});
	return entries;
}
