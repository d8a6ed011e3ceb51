import {useApp, useInput} from 'ink';
import {useMemo, useState} from 'react';
import {ConsoleProvider, type Navigation} from './console-context.js';
import {ErrorBoundary} from './ErrorBoundary.js';
import type {GatewayChoice} from './prepare-gateway.js';
import {BrowseScreen} from './screens/BrowseScreen.js';
import {CreateWizard} from './screens/CreateWizard.js';
import {HomeScreen} from './screens/HomeScreen.js';
import {QuarantineScreen} from './screens/QuarantineScreen.js';
import {RestoreWizard} from './screens/RestoreWizard.js';
import {createTheme, ThemeProvider, type Theme} from './theme.js';

/** The console's screens. One is shown at a time; App is the whole state machine. */
export type Route =
	| {name: 'home'}
	| {name: 'create'}
	| {name: 'browse'; destDir?: string | undefined; selectedPath?: string | undefined}
	/** `from`: opened from Browse on that folder (Esc goes back there). */
	| {name: 'restore'; backupPath?: string | undefined; encrypted?: boolean | undefined; from?: {destDir: string} | undefined}
	| {name: 'quarantine'};

export type AppProps = {
	gateway: GatewayChoice;
	/** Called with the exit code when the operator quits (0) or presses Ctrl+C (130). */
	onExit?: (code: number) => void;
	/** A render error: the host unmounts and exits non-zero. */
	onFatal?: (error: unknown) => void;
	theme?: Theme;
	initialRoute?: Route;
};

export function App({gateway, onExit, onFatal, theme, initialRoute}: AppProps) {
	const {exit} = useApp();
	const [route, setRoute] = useState<Route>(initialRoute ?? {name: 'home'});
	// Bumped whenever Home is shown again, so it re-reads counts and the last backup.
	const [revision, setRevision] = useState(0);
	const quit = (code: number) => {
		onExit?.(code);
		exit();
	};
	useInput((input, key) => {
		if (key.ctrl && input === 'c') quit(130);
	});
	const nav = useMemo<Navigation>(
		() => ({
			home: () => {
				setRevision(value => value + 1);
				setRoute({name: 'home'});
			},
			create: () => setRoute({name: 'create'}),
			browse: (destDir, selectedPath) => setRoute({name: 'browse', destDir, selectedPath}),
			restore: (backup, from) => setRoute({name: 'restore', backupPath: backup?.path, encrypted: backup?.encrypted, from}),
			quarantine: () => setRoute({name: 'quarantine'}),
			quit: () => quit(0),
		}),
		// eslint-disable-next-line react-hooks/exhaustive-deps
		[],
	);
	const resolvedTheme = useMemo(() => theme ?? createTheme(), [theme]);

	let screen;
	if (route.name === 'create') screen = <CreateWizard />;
	else if (route.name === 'browse') screen = <BrowseScreen destDir={route.destDir} selectedPath={route.selectedPath} />;
	else if (route.name === 'restore') screen = <RestoreWizard backupPath={route.backupPath} encrypted={route.encrypted} from={route.from} />;
	else if (route.name === 'quarantine') screen = <QuarantineScreen />;
	else screen = <HomeScreen revision={revision} />;

	return (
		<ThemeProvider value={resolvedTheme}>
			<ConsoleProvider value={{gateway, nav}}>
				<ErrorBoundary onFatal={error => onFatal?.(error)}>{screen}</ErrorBoundary>
			</ConsoleProvider>
		</ThemeProvider>
	);
}
