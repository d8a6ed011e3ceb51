import {useApp, useInput} from 'ink';
import {useEffect, useMemo, useRef, useState} from 'react';
import {Busy} from './components/Busy.js';
import {ConsoleProvider, DEFAULT_ENGINE, type ConsoleEngine, type Navigation} from './console-context.js';
import {SizeGate} from './components/SizeGate.js';
import {ErrorBoundary} from './ErrorBoundary.js';
import {bareHostNote, gatewayProblem, type GatewayChoice} from './prepare-gateway.js';
import {HomeScreen} from './screens/HomeScreen.js';
import {loadedScreens, loadScreens} from './screens-loader.js';
import {resetDroppedKeys} from './state/dropped-keys.js';
import {useInkInputGuard} from './hooks/use-ink-input-guard.js';
import {createTheme, ThemeProvider, type Theme} from './theme.js';

/** The console's screens. One is shown at a time; App is the whole state machine. */
export type Route =
	/** `blocked`: an action that needs a gateway was refused, and why (one line). */
	| {name: 'home'; blocked?: string | undefined}
	| {name: 'create'}
	| {name: 'browse'; destDir?: string | undefined; selectedPath?: string | undefined}
	/** `from`: opened from Browse on that folder (Esc goes back there). */
	| {name: 'restore'; backupPath?: string | undefined; encrypted?: boolean | undefined; from?: {destDir: string} | undefined}
	| {name: 'quarantine'}
	| {name: 'drill'}
	| {name: 'schedules'};

export type AppProps = {
	gateway: GatewayChoice;
	/** Called with the exit code when the operator quits (0) or presses Ctrl+C (130). */
	onExit?: (code: number) => void;
	/** A render error: the host unmounts and exits non-zero. */
	onFatal?: (error: unknown) => void;
	theme?: Theme;
	initialRoute?: Route;
	/** Wraps the long engine calls (tests hold a backup at a known point); the real ones by default. */
	engine?: Partial<ConsoleEngine>;
	/** Where named destinations and remote credentials are read (default process.env). */
	env?: NodeJS.ProcessEnv;
};

export function App({gateway: initialGateway, onExit, onFatal, theme, initialRoute, engine, env = process.env}: AppProps) {
	const {exit} = useApp();
	useInkInputGuard();
	// No notice of dropped keys carries over from an earlier console in this process.
	useState(resetDroppedKeys);
	const [route, setRoute] = useState<Route>(initialRoute ?? {name: 'home'});
	// The operator can point the console at another data dir (Home → Change data dir).
	const [gateway, setGateway] = useState(initialGateway);
	const dataDir = useRef(gateway.dataDir);
	dataDir.current = gateway.dataDir;
	// Bumped whenever Home is shown again, so it re-reads counts and the last backup.
	const [revision, setRevision] = useState(0);
	const quit = (code: number) => {
		onExit?.(code);
		exit();
	};
	useInput((input, key) => {
		if (key.ctrl && input === 'c') quit(130);
	});
	const nav = useMemo<Navigation>(() => {
		const home = () => {
			setRevision(value => value + 1);
			setRoute({name: 'home'});
		};
		// Create, restore and quarantine work on the gateway: with no usable one, Home says why instead.
		// Restore also works on a bare host (an absent or empty data dir): it builds the gateway there.
		const needsGateway = (action: string, go: () => void, bareHostToo = false) => {
			const problem = gatewayProblem(dataDir.current);
			if (!problem) return go();
			const bare = bareHostNote(dataDir.current);
			if (bare && bareHostToo) return go();
			// Home re-reads too, so what it shows of the folder matches the reason.
			setRevision(value => value + 1);
			setRoute({name: 'home', blocked: `${action} needs a gateway: ${bare ?? problem}`});
		};
		return {
			home,
			create: () => needsGateway('Create backup', () => setRoute({name: 'create'})),
			browse: (destDir, selectedPath) => setRoute({name: 'browse', destDir, selectedPath}),
			restore: (backup, from) => needsGateway('Restore', () => setRoute({name: 'restore', backupPath: backup?.path, encrypted: backup?.encrypted, from}), true),
			quarantine: () => needsGateway('Quarantine', () => setRoute({name: 'quarantine'})),
			drill: () => setRoute({name: 'drill'}),
			schedules: () => setRoute({name: 'schedules'}),
			changeDataDir: next => {
				setGateway(current => ({...current, dataDir: next, isDemo: false}));
				home();
			},
			quit: () => quit(0),
		};
	},
		// eslint-disable-next-line react-hooks/exhaustive-deps
		[],
	);
	const resolvedTheme = useMemo(() => theme ?? createTheme(), [theme]);
	const resolvedEngine = useMemo(() => ({...DEFAULT_ENGINE, ...engine}), [engine]);
	// Home is drawn first; the other screens (and the engine they bring) load just after.
	const [screens, setScreens] = useState(loadedScreens);
	useEffect(() => {
		if (!screens) loadScreens().then(setScreens, (error: unknown) => onFatal?.(error));
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, []);

	let screen;
	if (route.name === 'home') screen = <HomeScreen revision={revision} blocked={route.blocked} />;
	else if (!screens) screen = <Busy label="Loading…" />;
	else if (route.name === 'create') screen = <screens.CreateWizard />;
	else if (route.name === 'browse') screen = <screens.BrowseScreen destDir={route.destDir} selectedPath={route.selectedPath} />;
	else if (route.name === 'restore') screen = <screens.RestoreWizard backupPath={route.backupPath} encrypted={route.encrypted} from={route.from} />;
	else if (route.name === 'quarantine') screen = <screens.QuarantineScreen />;
	else if (route.name === 'drill') screen = <screens.DrillScreen />;
	else screen = <screens.ScheduleScreen />;

	return (
		<ThemeProvider value={resolvedTheme}>
			<ConsoleProvider value={{gateway, nav, engine: resolvedEngine, env}}>
				{/* Below the smallest size the console lays out in, one line says so instead of the screen. */}
				<SizeGate onQuit={nav.quit}>
					<ErrorBoundary onFatal={error => onFatal?.(error)}>{screen}</ErrorBoundary>
				</SizeGate>
			</ConsoleProvider>
		</ThemeProvider>
	);
}
