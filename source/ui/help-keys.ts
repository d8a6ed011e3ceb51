import {BINDINGS, type CommandName} from './keys.js';

/** One row of the `?` help: the keys and what they do on this screen. */
export type HelpEntry = {keys: string; description: string};

/**
 * What each command does, in the words of the `?` help (the footer keeps the binding table's
 * short words), and its keys when the help can name more of them than the footer does.
 */
const HELP: Record<CommandName, {keys?: string; meaning: string}> = {
	up: {meaning: 'up one row'},
	down: {meaning: 'down one row'},
	pageUp: {meaning: 'one page up'},
	pageDown: {meaning: 'one page down'},
	first: {keys: 'g/Home', meaning: 'first row'},
	last: {keys: 'G/End', meaning: 'last row'},
	select: {meaning: 'choose the highlighted row'},
	toggle: {meaning: 'tick or untick the highlighted row'},
	toggleAll: {meaning: 'tick every row, or none'},
	back: {meaning: 'back one step'},
	help: {meaning: 'show or hide this list of keys'},
	quit: {meaning: 'quit the console'},
	verify: {meaning: 'verify: read every file, check every checksum'},
	restore: {meaning: 'restore from this backup'},
	delete: {meaning: 'delete this backup file (asks first)'},
	copy: {meaning: 'copy this backup to a folder or file'},
	folder: {meaning: 'look in another backups folder'},
	newDataDir: {meaning: 'restore the ticked categories into a new data directory (a bare host: an absent or empty folder)'},
	switch: {meaning: 'switch destination: the backup folder, a named destination, another path or URL'},
	test: {meaning: 'test the highlighted destination: write, list, read back and delete a small object'},
	expand: {meaning: 'list the conflicts of the highlighted row'},
	accept: {meaning: 'accept: the backup version replaces the live one (asks first)'},
	discard: {meaning: 'discard: keep the live version, delete the quarantined copy (asks first)'},
	yes: {meaning: 'yes, do it'},
	no: {keys: 'n/Esc', meaning: 'no, leave things as they are'},
	cancel: {meaning: 'cancel the running task'},
	mark: {meaning: 'mark or unmark the highlighted backup for a diff (two at most)'},
	diff: {meaning: 'diff: the two marked backups, or one marked (or the highlighted) backup against the live store'},
	drill: {meaning: 'DR drill: restore a backup into a scratch folder and check it (the live data is only read)'},
	schedules: {meaning: 'Schedules: backups that run by themselves (cron, retention, run now)'},
	add: {meaning: 'add a schedule'},
	runNow: {meaning: 'run the highlighted schedule once now, as the daemon would'},
};

/** The moves every list handles besides ↑/↓, listed in the `?` help of any screen with a list. */
const LIST_KEYS: readonly CommandName[] = ['pageUp', 'pageDown', 'first', 'last'];

/** Keys the help shows as one entry when a screen has both. */
const PAIRS: ReadonlyArray<readonly [CommandName, CommandName, HelpEntry]> = [
	['up', 'down', {keys: '↑↓/jk', description: 'move one row'}],
	['pageUp', 'pageDown', {keys: 'PgUp/PgDn', description: 'move one page'}],
	['first', 'last', {keys: 'g/G', description: 'first / last row (also Home / End)'}],
];

/**
 * Every key of a screen for the `?` help, with its meaning there: the footer's commands, the list
 * moves the footer leaves out, `?` itself and Ctrl+C. `meanings` says what a key does on this
 * screen when that is more than the generic words ("Enter: show the details").
 */
export function helpEntries(commands: readonly CommandName[], textEntry = false, meanings: Partial<Record<CommandName, string>> = {}): HelpEntry[] {
	const names: CommandName[] = [...commands];
	if (commands.includes('down') && !textEntry) names.splice(names.indexOf('down') + 1, 0, ...LIST_KEYS.filter(name => !commands.includes(name)));
	if (!textEntry && !names.includes('help')) names.push('help');
	const entries: HelpEntry[] = [];
	for (const name of names) {
		const pair = PAIRS.find(([first]) => first === name);
		if (pair && names.includes(pair[1])) {
			entries.push(pair[2]);
			continue;
		}
		if (PAIRS.some(([first, second]) => second === name && names.includes(first))) continue;
		const keys = textEntry && name === 'back' ? 'Esc' : (HELP[name].keys ?? BINDINGS[name].keys);
		entries.push({keys, description: meanings[name] ?? HELP[name].meaning});
	}
	if (textEntry) entries.push({keys: 'typing', description: 'edits the field (← → move, Backspace deletes)'});
	entries.push({keys: 'Ctrl+C', description: 'quit the console at once'});
	return entries;
}
