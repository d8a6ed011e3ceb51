import {useStdin} from 'ink';
import type {EventEmitter} from 'node:events';
import {useLayoutEffect} from 'react';

/**
 * A legacy function-key sequence as Ink 6.8's parse-keypress reads one (its fnKeyRe): ESC, then
 * `O`, `N`, `[` or `[[`, a code and a modifier.
 */
const FUNCTION_KEY = /^(?:\x1b+)(O|N|\[|\[\[)(?:(\d+)(?:;(\d+))?([~^$])|(?:1;)?(\d+)?([a-zA-Z]))/;

/** Ink's kittyKeyRe and kittySpecialKeyRe. */
const KITTY_KEY = /^\x1b\[(\d+)(?:;(\d+)(?::(\d+))?(?:;([\d:]+))?)?u$/;
const KITTY_SPECIAL_KEY = /^\x1b\[(\d+);(\d+):(\d+)([A-Za-z~])$/;

/**
 * The codes of the function keys Ink 6.8 names (its keyName table): arrows, Home, End, PgUp,
 * PgDn, Insert, Delete, F1-F12, Shift+Tab, in their xterm, rxvt, putty and Cygwin forms.
 * test/ui/ctrl-function-keys checks this against Ink's own parser for every shape and modifier.
 */
const NAMED = new Set([
	'OP', 'OQ', 'OR', 'OS', '[11~', '[12~', '[13~', '[14~', '[[A', '[[B', '[[C', '[[D', '[[E',
	'[15~', '[17~', '[18~', '[19~', '[20~', '[21~', '[23~', '[24~',
	'[A', '[B', '[C', '[D', '[E', '[F', '[H', 'OA', 'OB', 'OC', 'OD', 'OE', 'OF', 'OH',
	'[1~', '[2~', '[3~', '[4~', '[5~', '[6~', '[[5~', '[[6~', '[7~', '[8~',
	'[a', '[b', '[c', '[d', '[e', '[2$', '[3$', '[5$', '[6$', '[7$', '[8$',
	'Oa', 'Ob', 'Oc', 'Od', 'Oe', '[2^', '[3^', '[5^', '[6^', '[7^', '[8^', '[Z',
]);

/** A whole control sequence (ECMA-48: ESC [, parameter bytes, intermediate bytes, a final byte). */
const CONTROL_SEQUENCE = /^\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]$/;

/**
 * Whether Ink reads `data` as a function key it cannot name (Ctrl+F4 as xterm and tmux send it,
 * `ESC[1;5S`; an SGR sequence from pasted coloured text, `ESC[31m`; any other terminal's key), or
 * hands it on as text though it is a whole control sequence no key sends (a terminal's answer,
 * `ESC[?1;2c`, whose `?` opened the help).
 */
export function unnamedFunctionKey(data: string): boolean {
	// The kitty keyboard protocol's forms, which Ink reads first (and safely).
	if (KITTY_KEY.test(data) || KITTY_SPECIAL_KEY.test(data)) return false;
	const parts = FUNCTION_KEY.exec(data);
	if (!parts) return CONTROL_SEQUENCE.test(data);
	return !NAMED.has([parts[1], parts[2], parts[4], parts[6]].filter(Boolean).join(''));
}

const guarded = new WeakSet<EventEmitter>();

/**
 * Ink 6.8's useInput hands a function key it cannot name to every handler as text (`[28;2~`, which
 * a text field typed), or, when its modifier says Ctrl, throws (`input.startsWith` of undefined)
 * before any handler runs, in every useInput at once (ink-text-input's and ink-select-input's too):
 * uncaught, that ended the console, and a backup or restore running in it. Installed once at the
 * console's root, before Ink's input listeners see them, such keys are dropped: none of them means
 * anything to the console.
 */
export function useInkInputGuard(): void {
	const {internal_eventEmitter: emitter} = useStdin();
	useLayoutEffect(() => {
		if (!emitter || guarded.has(emitter)) return;
		guarded.add(emitter);
		const emit = emitter.emit.bind(emitter);
		emitter.emit = (event: string | symbol, ...args: unknown[]): boolean => {
			if (event === 'input' && typeof args[0] === 'string' && unnamedFunctionKey(args[0])) return false;
			return emit(event, ...args);
		};
	}, [emitter]);
}
