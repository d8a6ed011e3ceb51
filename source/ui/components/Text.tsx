import {Children, isValidElement, type ComponentProps} from 'react';
import {Text as InkText} from 'ink';
import {terminalSafe} from '../../core/terminal-safe.js';

/**
 * Text as the terminal shows it: every character a terminal obeys rather than prints (ESC and the
 * other controls that recolour, retitle, link, move or clear; a carriage return or backspace that
 * draws over a row; bidi overrides) is shown as `\u{..}`, whatever a name, a path or a message
 * holds. A line break is kept: the console's own multi-line text uses it (data that must stay on
 * one row goes through text-fit, which escapes it too).
 */
export function screenSafe(text: string): string {
	return text.includes('\n') ? text.split('\n').map(terminalSafe).join('\n') : terminalSafe(text);
}

function safeChildren(children: ComponentProps<typeof InkText>['children']): ComponentProps<typeof InkText>['children'] {
	if (typeof children === 'string') return screenSafe(children);
	if (typeof children === 'number' || children === null || children === undefined || typeof children === 'boolean') return children;
	if (isValidElement(children)) return children;
	return Children.map(children, child => (typeof child === 'string' ? screenSafe(child) : child));
}

/** Ink's Text, with its text made safe to print (screenSafe); nested Text is made safe by its own. */
export function Text(props: ComponentProps<typeof InkText>) {
	return <InkText {...props}>{safeChildren(props.children)}</InkText>;
}
