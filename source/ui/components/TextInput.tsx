import {Text, useInput} from 'ink';
import {useRef, useState} from 'react';
import {useTheme} from '../theme.js';

type Edit = {value: string; cursor: number};

/**
 * A one-line text input that owns its text. Every key is applied to the latest text held in a
 * ref, not to the last rendered props, so fast typing over SSH (or keys arriving faster than
 * React renders) never drops a character of a passphrase.
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
	const theme = useTheme();
	const [view, setView] = useState<Edit>({value: initialValue, cursor: [...initialValue].length});
	const latest = useRef(view);
	const apply = (next: Edit) => {
		const changed = next.value !== latest.current.value;
		latest.current = next;
		setView(next);
		if (changed) onChange?.(next.value);
	};
	useInput(
		(input, key) => {
			const {value, cursor} = latest.current;
			const chars = [...value];
			if (key.return) {
				onSubmit(value);
				return;
			}
			if (key.backspace || key.delete) {
				if (cursor > 0) apply({value: [...chars.slice(0, cursor - 1), ...chars.slice(cursor)].join(''), cursor: cursor - 1});
				return;
			}
			if (key.leftArrow) return apply({value, cursor: Math.max(0, cursor - 1)});
			if (key.rightArrow) return apply({value, cursor: Math.min(chars.length, cursor + 1)});
			if (key.ctrl && input === 'u') return apply({value: '', cursor: 0});
			if (key.ctrl && input === 'a') return apply({value, cursor: 0});
			if (key.ctrl && input === 'e') return apply({value, cursor: chars.length});
			if (key.ctrl || key.meta || key.escape || key.upArrow || key.downArrow || key.tab || key.pageUp || key.pageDown) return;
			// Typed or pasted text; control characters and line breaks are not part of a line.
			const typed = [...input.replace(/[\u0000-\u001F\u007F]/g, '')];
			if (typed.length === 0) return;
			apply({value: [...chars.slice(0, cursor), ...typed, ...chars.slice(cursor)].join(''), cursor: cursor + typed.length});
		},
		{isActive: focus},
	);
	const chars = [...view.value].map(char => (mask ? mask : char));
	if (chars.length === 0 && placeholder) {
		return <Text dimColor>{placeholder}</Text>;
	}
	const before = chars.slice(0, view.cursor).join('');
	const at = chars[view.cursor] ?? ' ';
	const after = chars.slice(view.cursor + 1).join('');
	return (
		<Text wrap="truncate-start">
			{before}
			{focus ? (
				<Text inverse color={theme.accent}>
					{theme.color ? at : at === ' ' ? '_' : at}
				</Text>
			) : (
				at
			)}
			{after}
		</Text>
	);
}
