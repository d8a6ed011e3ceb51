/**
 * Cursor and scroll offset of a windowed list: only `height` rows are ever rendered, so a list of
 * thousands of backups costs the same to draw as a list of ten.
 */
export type ListWindow = {cursor: number; offset: number};

export const initialWindow: ListWindow = {cursor: 0, offset: 0};

/** Moves the cursor to `target` (clamped) and scrolls just enough to keep it visible. */
export function moveTo(state: ListWindow, target: number, count: number, height: number): ListWindow {
	if (count <= 0) return initialWindow;
	const visible = Math.max(1, height);
	const cursor = Math.min(Math.max(0, target), count - 1);
	let offset = state.offset;
	if (cursor < offset) offset = cursor;
	if (cursor >= offset + visible) offset = cursor - visible + 1;
	offset = Math.min(Math.max(0, offset), Math.max(0, count - visible));
	return {cursor, offset};
}

export type ListMove = 'up' | 'down' | 'pageUp' | 'pageDown' | 'first' | 'last';

export function moveBy(state: ListWindow, move: ListMove, count: number, height: number): ListWindow {
	const page = Math.max(1, height - 1);
	const target = {
		up: state.cursor - 1,
		down: state.cursor + 1,
		pageUp: state.cursor - page,
		pageDown: state.cursor + page,
		first: 0,
		last: count - 1,
	}[move];
	return moveTo(state, target, count, height);
}

const LIST_MOVES: readonly ListMove[] = ['up', 'down', 'pageUp', 'pageDown', 'first', 'last'];

/** The navigation commands every windowed list binds (for useCommands). */
export function listMoveCommands(setWindow: (update: (state: ListWindow) => ListWindow) => void, count: number, height: number): Record<ListMove, () => void> {
	return Object.fromEntries(LIST_MOVES.map(how => [how, () => setWindow(state => moveBy(state, how, count, height))])) as Record<ListMove, () => void>;
}

/** Re-clamps after the list or the window changed size (a delete, a terminal resize). */
export function clampWindow(state: ListWindow, count: number, height: number): ListWindow {
	return moveTo(state, state.cursor, count, height);
}
