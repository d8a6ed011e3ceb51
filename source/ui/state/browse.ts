/**
 * Browse screen modes as a reducer: the list, one backup's details, and the prompts that sit on
 * top of either (delete confirmation, copy target, another folder, a passphrase to verify, the
 * destination switcher). `destDir` is where the backups are read: a local folder, a named
 * destination's name, or a URL (see state/destinations).
 */
export type BrowseMode = 'list' | 'details' | 'confirm-delete' | 'copy' | 'folder' | 'passphrase' | 'switch';

export type BrowseState = {
	mode: BrowseMode;
	destDir: string;
	/** Where a prompt returns to. */
	base: 'list' | 'details';
	/** Text being typed in a prompt. */
	draft: string;
};

export type BrowseAction =
	| {type: 'details'}
	| {type: 'prompt'; mode: 'confirm-delete' | 'copy' | 'folder' | 'passphrase' | 'switch'; draft?: string}
	| {type: 'edit'; draft: string}
	| {type: 'folder'; destDir: string}
	| {type: 'close'}
	| {type: 'deleted'};

export function initialBrowseState(destDir: string): BrowseState {
	return {mode: 'list', destDir, base: 'list', draft: ''};
}

export function browseReducer(state: BrowseState, action: BrowseAction): BrowseState {
	switch (action.type) {
		case 'details':
			return {...state, mode: 'details', base: 'details'};
		case 'prompt':
			return {...state, mode: action.mode, base: state.mode === 'details' ? 'details' : state.mode === 'list' ? 'list' : state.base, draft: action.draft ?? ''};
		case 'edit':
			return {...state, draft: action.draft};
		case 'folder':
			return {...state, destDir: action.destDir, mode: 'list', base: 'list', draft: ''};
		case 'close':
			if (state.mode === 'details' || state.mode === 'list') return {...state, mode: 'list', base: 'list'};
			return {...state, mode: state.base, draft: ''};
		case 'deleted':
			// The backup is gone: its details page is too.
			return {...state, mode: 'list', base: 'list', draft: ''};
	}
}

/** Prompts take the keyboard for typing (except the y/n confirmation). */
export function isTextPrompt(mode: BrowseMode): boolean {
	return mode === 'copy' || mode === 'folder' || mode === 'passphrase';
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
