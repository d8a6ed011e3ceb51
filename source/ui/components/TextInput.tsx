import {Box, measureElement, type DOMElement} from 'ink';
import {Text} from './Text.js';
import {terminalSafe} from '../../core/terminal-safe.js';
import InkTextInput from 'ink-text-input';
import {useEffect, useRef, useState} from 'react';
import {columns, cursorWindow} from '../text-fit.js';
import {useConsoleInput, useKeyGate} from '../hooks/use-console-input.js';
import {applyInput, type Edit} from '../state/text-edit.js';

/**
 * A one-line text input drawn by ink-text-input (value, `mask`, placeholder, cursor), with the
 * text owned here.
 *
 * ink-text-input applies each key to the props of its last render: two reads that arrive before
 * React re-renders lose the first ("abc" then "def" gives "def"), a read holding "secret\r" types
 * the carriage return instead of submitting, and Ctrl+U types a "u". So every key is applied here,
 * in order, to the latest text held in a ref (state/text-edit), and the library's own results are
 * ignored. Its cursor follows the same keys; whenever it could not have followed (a stale read, a
 * key it handles differently), the field is drawn here (below) until our cursor is at the end,
 * where ink-text-input, drawn afresh, has its cursor too.
 *
 * The value can come from data (a folder from the environment, a data dir, the working directory):
 * ink-text-input draws it as the terminal shows it (terminalSafe: an ESC or a line break as
 * `\u{..}`, so nothing is obeyed and the field stays one row), while the text edited and submitted
 * is the real one. Such a value is longer on screen than in code points, so the library's cursor
 * cannot follow ours in it: while the value holds one, every key draws the field afresh.
 *
 * A value wider than the field is drawn whole by ink-text-input and the row cut at its start: a
 * cursor moved back into the cut-off part, and what was typed there, could not be seen. While the
 * cursor is not at the end of such a value it is drawn here too: a window of the text around the
 * cursor (cursorWindow).
 */
export function TextInput({
	initialValue = '',
	onChange,
	onSubmit,
	mask,
	placeholder,
	focus = true,
}: {
	initialValue?: string;
	onChange?: (value: string) => void;
	onSubmit: (value: string) => void;
	mask?: string;
	placeholder?: string;
	focus?: boolean;
}) {
	const [view, setView] = useState<Edit>({value: initialValue, cursor: [...initialValue].length});
	// Bumped to draw ink-text-input afresh when its cursor may differ from ours.
	const [generation, setGeneration] = useState(0);
	const latest = useRef(view);
	// True once React has re-rendered after the last key: ink-text-input then reads current props.
	const fresh = useRef(false);
	useEffect(() => {
		fresh.current = true;
	});
	// ink-text-input reads keys on its own: it has no focus while the screen is hidden (SizeGate).
	const {shown} = useKeyGate();
	// The columns the field has, once laid out.
	const box = useRef<DOMElement>(null);
	const [width, setWidth] = useState<number | undefined>(undefined);
	useEffect(() => {
		if (!box.current) return;
		const measured = measureElement(box.current).width;
		if (measured > 0 && measured !== width) setWidth(measured);
	});
	// ink-text-input's cursor may not be ours (a key it read against stale props, or handles
	// differently) or its row cannot show ours: the field is drawn here until the cursor is at the end.
	const drawnHere = useRef(false);
	const drawnAfresh = useRef(0);
	useConsoleInput(
		(input, key) => {
			const stale = !fresh.current;
			fresh.current = false;
			const before = latest.current;
			const result = applyInput(before, input, key);
			let edit = result.edit;
			const escaped = !mask && (shownAs(before.value) !== before.value || shownAs(edit.value) !== edit.value);
			if (escaped) {
				edit = {value: edit.value, cursor: [...edit.value].length};
				setGeneration(value => value + 1);
			} else if (stale || !result.alike) drawnHere.current = true;
			latest.current = edit;
			setView({...edit});
			if (edit.value !== before.value) onChange?.(edit.value);
			if (result.submit) onSubmit(edit.value);
		},
		{isActive: focus},
	);
	const chars = [...view.value];
	const shownValue = mask ? mask.repeat(chars.length) : shownAs(view.value);
	// An escaped value always has its cursor at the end (above), where the cut row shows it.
	const wide = width !== undefined && columns(shownValue) + 1 > width;
	const ownDrawing = view.cursor < chars.length && (mask !== undefined || shownValue === view.value) && (wide || drawnHere.current);
	// Back to ink-text-input, drawn afresh: its cursor starts at the end, where ours is.
	if (drawnHere.current && !ownDrawing) drawnAfresh.current++;
	drawnHere.current = ownDrawing;
	if (ownDrawing) {
		const cut = cursorWindow(mask ? [...shownValue] : chars, view.cursor, width ?? 1);
		return (
			<Box ref={box} flexGrow={1}>
				<Text wrap="truncate-end">
					{cut.cutStart ? '…' : ''}
					{cut.before}
					<Text inverse={focus && shown}>{cut.at}</Text>
					{cut.after}
					{cut.cutEnd ? '…' : ''}
				</Text>
			</Box>
		);
	}
	return (
		<Box ref={box} flexGrow={1}>
			<Text wrap="truncate-start">
				<InkTextInput
					key={`${generation}:${drawnAfresh.current}`}
					value={mask ? view.value : shownAs(view.value)}
					mask={mask}
					placeholder={placeholder === undefined ? undefined : terminalSafe(placeholder)}
					focus={focus && shown}
					onChange={ignore}
				/>
			</Text>
		</Box>
	);
}

/** The value as the field draws it: a masked value shows only the mask. */
function shownAs(value: string): string {
	return terminalSafe(value);
}

/** The library's own idea of the text (read against stale props) is not used. */
function ignore(): void {}
