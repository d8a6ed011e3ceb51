import {render, type Instance} from 'ink';
import {App} from './App.js';
import {describeError} from './describe-error.js';
import {prepareGateway} from './prepare-gateway.js';

export type TuiOptions = {dataDir?: string; backupDir?: string};

const ENTER_ALT_SCREEN = '\u001B[?1049h';
const LEAVE_ALT_SCREEN = '\u001B[?1049l';
const SHOW_CURSOR = '\u001B[?25h';

/**
 * Mounts the console full-screen and resolves with the exit code once the operator quits.
 * Whatever happens (quit, Ctrl+C, SIGTERM/SIGHUP, an uncaught error) the terminal is handed back
 * as it was: Ink leaves raw mode on unmount, and we leave the alternate screen and show the cursor.
 */
export async function runTui(options: TuiOptions): Promise<number> {
	const gateway = await prepareGateway(options);
	const stdout = process.stdout;
	let restored = false;
	const restoreTerminal = () => {
		if (restored) return;
		restored = true;
		try {
			if (process.stdin.isTTY) process.stdin.setRawMode(false);
		} catch {
			// stdin already closed: nothing to restore.
		}
		stdout.write(LEAVE_ALT_SCREEN + SHOW_CURSOR);
	};
	stdout.write(ENTER_ALT_SCREEN);
	process.once('exit', restoreTerminal);

	let exitCode = 0;
	let instance: Instance | undefined;
	const stop = (code: number, line?: string) => {
		exitCode = code;
		instance?.unmount();
		restoreTerminal();
		if (line) process.stderr.write(line + '\n');
	};
	const fatal = (error: unknown) => {
		stop(1, `lifeboat: ${describeError(error)} (set LIFEBOAT_DEBUG=1 for details)`);
		if (process.env['LIFEBOAT_DEBUG']) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
		process.exit(1);
	};
	const onSignal = (signal: NodeJS.Signals) => {
		stop(signal === 'SIGHUP' ? 129 : 143);
		process.exit(signal === 'SIGHUP' ? 129 : 143);
	};
	process.on('uncaughtException', fatal);
	process.on('unhandledRejection', fatal);
	process.on('SIGTERM', onSignal);
	process.on('SIGHUP', onSignal);
	try {
		instance = render(<App gateway={gateway} onExit={code => (exitCode = code)} onFatal={fatal} />, {exitOnCtrlC: false, patchConsole: true});
		// Lets the real-terminal tests check that a crash still hands the terminal back.
		if (process.env['LIFEBOAT_TEST_CRASH'] === 'async') {
			setTimeout(() => {
				throw new Error('simulated crash for tests');
			}, 500);
		}
		await instance.waitUntilExit();
	} finally {
		restoreTerminal();
		process.off('uncaughtException', fatal);
		process.off('unhandledRejection', fatal);
		process.off('SIGTERM', onSignal);
		process.off('SIGHUP', onSignal);
	}
	return exitCode;
}
