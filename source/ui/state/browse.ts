/**
 * Browse screen modes as a reducer: the list, one backup's details, and the prompts that sit on
 * top of either (delete confirmation, copy target, another folder, a passphrase to verify, the
 * destination switcher). `destDir` is where the backups are read: a local folder, a named
 * destination's name, or a URL (see state/destinations).
 */
export type BrowseMode = 'list' | 'details' | 'confirm-delete' | 'copy' | 'folder' | 'passphrase' | 'switch' | 'diff' | 'diff-passphrase';

export type BrowseState = {
	mode: BrowseMode;
	destDir: string;
	/** Where a prompt returns to. */
	base: 'list' | 'details';
	/** Text being typed in a prompt. */
	draft: string;
	/** Backups (paths) marked for a diff, oldest mark first; two at most. */
	marked: readonly string[];
};

export type BrowseAction =
	| {type: 'details'}
	| {type: 'prompt'; mode: 'confirm-delete' | 'copy' | 'folder' | 'passphrase' | 'switch' | 'diff-passphrase'; draft?: string}
	| {type: 'mark'; path: string}
	| {type: 'diff'}
	| {type: 'edit'; draft: string}
	| {type: 'folder'; destDir: string}
	| {type: 'close'}
	| {type: 'deleted'};

export function initialBrowseState(destDir: string): BrowseState {
	return {mode: 'list', destDir, base: 'list', draft: '', marked: []};
}

export function browseReducer(state: BrowseState, action: BrowseAction): BrowseState {
	switch (action.type) {
		case 'details':
			return {...state, mode: 'details', base: 'details'};
		case 'prompt':
			return {...state, mode: action.mode, base: state.mode === 'details' ? 'details' : state.mode === 'list' ? 'list' : state.base, draft: action.draft ?? ''};
		case 'mark':
			return {...state, marked: toggleMark(state.marked, action.path)};
		case 'diff':
			return {...state, mode: 'diff', base: 'list', draft: ''};
		case 'edit':
			return {...state, draft: action.draft};
		case 'folder':
			return {...state, destDir: action.destDir, mode: 'list', base: 'list', draft: '', marked: []};
		case 'close':
			if (state.mode === 'details' || state.mode === 'list' || state.mode === 'diff') return {...state, mode: 'list', base: 'list'};
			return {...state, mode: state.base, draft: ''};
		case 'deleted':
			// The backup is gone: its details page is too (and its mark, when the list is read again).
			return {...state, mode: 'list', base: 'list', draft: ''};
	}
}

/** Prompts take the keyboard for typing (except the y/n confirmation). */
export function isTextPrompt(mode: BrowseMode): boolean {
	return mode === 'copy' || mode === 'folder' || mode === 'passphrase' || mode === 'diff-passphrase';
}

/** Marks or unmarks a backup; a third mark drops the oldest, so two stay marked at most. */
export function toggleMark(marked: readonly string[], path: string): string[] {
	if (marked.includes(path)) return marked.filter(entry => entry !== path);
	return [...marked, path].slice(-2);
}

/**
 * What `=` compares: the two marked backups (the older first, so "added" is what came since), or
 * one marked backup, else the highlighted one, against the live store (`b` undefined). Marks of
 * backups no longer listed do not count.
 */
export function diffPair<T extends {path: string; createdAt: string}>(marked: readonly string[], highlighted: T | undefined, backups: readonly T[]): {a: T; b: T | undefined} | undefined {
	const chosen = marked.map(path => backups.find(backup => backup.path === path)).filter((backup): backup is T => backup !== undefined);
	if (chosen.length === 2) {
		const [first, second] = chosen as [T, T];
		return Date.parse(second.createdAt) < Date.parse(first.createdAt) ? {a: second, b: first} : {a: first, b: second};
	}
	const one = chosen[0] ?? highlighted;
	return one ? {a: one, b: undefined} : undefined;
}

/** "now", "5m", "3h", "2d", "4mo", "1y": an age that fits a 4-column cell. */
export function shortAge(iso: string, now = Date.now()): string {
	const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
	if (!Number.isFinite(seconds)) return '?';
	if (seconds < 60) return 'now';
	if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
	if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
	if (seconds < 30 * 86_400) return `${Math.floor(seconds / 86_400)}d`;
	if (seconds < 365 * 86_400) return `${Math.floor(seconds / (30 * 86_400))}mo`;
	return `${Math.floor(seconds / (365 * 86_400))}y`;
}

/**
 * The backup the cursor stays on when the list is read again (after a copy, a delete, a folder
 * change): the same backup by path wherever it moved; if it is gone, the one that followed it
 * in `before` (the previous one at the end), else the first row. `before` is the order the
 * operator last saw the list in.
 */
export function keepSelection(before: readonly string[], selected: string | undefined, after: readonly string[]): string | undefined {
	if (selected !== undefined && after.includes(selected)) return selected;
	const index = selected === undefined ? -1 : before.indexOf(selected);
	if (index >= 0) {
		const present = new Set(after);
		const next = before.slice(index + 1).find(path => present.has(path)) ?? before.slice(0, index).reverse().find(path => present.has(path));
		if (next !== undefined) return next;
	}
	return after[0];
}
