import {createContext, useContext} from 'react';

/**
 * One theme with semantic roles; components never name a colour. With NO_COLOR set (any
 * non-empty value, https://no-color.org) every role is uncoloured and the UI relies on
 * markers (›, ✓, ✗, [x]) and bold/inverse, which NO_COLOR allows.
 */
export type Theme = {
	/** Whether colours are used at all. */
	readonly color: boolean;
	readonly accent: string | undefined;
	readonly selected: string | undefined;
	readonly ok: string | undefined;
	readonly warn: string | undefined;
	readonly error: string | undefined;
	readonly muted: string | undefined;
	readonly barDone: string | undefined;
	readonly barTodo: string | undefined;
};

export function createTheme(env: NodeJS.ProcessEnv = process.env): Theme {
	const color = !env['NO_COLOR'];
	const pick = (value: string) => (color ? value : undefined);
	return {
		color,
		accent: pick('cyan'),
		selected: pick('cyan'),
		ok: pick('green'),
		warn: pick('yellow'),
		error: pick('red'),
		muted: pick('gray'),
		barDone: pick('cyan'),
		barTodo: pick('gray'),
	};
}

const ThemeContext = createContext<Theme>(createTheme());

export const ThemeProvider = ThemeContext.Provider;

export function useTheme(): Theme {
	return useContext(ThemeContext);
}
