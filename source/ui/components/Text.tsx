import {Children, cloneElement, Fragment, isValidElement, type ComponentProps, type ReactElement, type ReactNode} from 'react';
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

/**
 * The children of a Text made safe: every string, at any depth of fragments and arrays, and inside
 * Ink's own Text (which does not escape) goes through screenSafe. Our Text nested inside makes its
 * own children safe; any other element is drawn by its own component and is left as it is.
 */
function safeChildren(children: ReactNode): ReactNode {
	if (typeof children === 'string') return screenSafe(children);
	if (typeof children === 'number' || children === null || children === undefined || typeof children === 'boolean') return children;
	if (isValidElement(children)) return safeElement(children);
	return Children.map(children as ReactNode, child => (typeof child === 'string' ? screenSafe(child) : isValidElement(child) ? safeElement(child) : child));
}

function safeElement(element: ReactElement): ReactElement {
	if (element.type !== Fragment && element.type !== InkText) return element;
	const props = element.props as {children?: ReactNode};
	if (props.children === undefined) return element;
	return cloneElement(element as ReactElement<{children?: ReactNode}>, undefined, safeChildren(props.children));
}

/** Ink's Text, with its text made safe to print (screenSafe), fragments included; nested Text is made safe by its own. */
export function Text(props: ComponentProps<typeof InkText>) {
	return <InkText {...props}>{safeChildren(props.children)}</InkText>;
}
