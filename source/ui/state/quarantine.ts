/**
 * Quarantine screen navigation: restores → their entries → one entry beside the live version,
 * with accept/discard each behind a y/n confirmation.
 */
export type QuarantineView = 'restores' | 'entries' | 'entry';

export type QuarantineState = {
	view: QuarantineView;
	restoreId?: string | undefined;
	entryId?: string | undefined;
	confirm?: 'accept' | 'discard' | undefined;
	/** Bumped after every change so lists are read again. */
	revision: number;
};

export type QuarantineAction =
	| {type: 'open-restore'; restoreId: string}
	| {type: 'open-entry'; entryId: string}
	| {type: 'ask'; confirm: 'accept' | 'discard'; entryId: string}
	| {type: 'cancel'}
	| {type: 'done'; remaining: number}
	| {type: 'back'};

export const initialQuarantineState: QuarantineState = {view: 'restores', revision: 0};

export function quarantineReducer(state: QuarantineState, action: QuarantineAction): QuarantineState {
	switch (action.type) {
		case 'open-restore':
			return {...state, view: 'entries', restoreId: action.restoreId, entryId: undefined, confirm: undefined};
		case 'open-entry':
			return {...state, view: 'entry', entryId: action.entryId, confirm: undefined};
		case 'ask':
			return {...state, entryId: action.entryId, confirm: action.confirm};
		case 'cancel':
			return {...state, confirm: undefined};
		case 'done':
			// The entry is gone: back to its restore's list, or to the restores when none is left.
			return {...state, confirm: undefined, entryId: undefined, view: action.remaining > 0 ? 'entries' : 'restores', restoreId: action.remaining > 0 ? state.restoreId : undefined, revision: state.revision + 1};
		case 'back':
			if (state.confirm) return {...state, confirm: undefined};
			if (state.view === 'entry') return {...state, view: 'entries', entryId: undefined};
			if (state.view === 'entries') return {...state, view: 'restores', restoreId: undefined};
			return state;
	}
}
