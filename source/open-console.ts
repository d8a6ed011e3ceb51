/**
 * Opening the interactive console: the command line that asks for it alone (read here, without
 * meow), and the checks before Ink mounts. Used by cli.tsx and command-line.ts.
 */

export type ConsoleArguments = {dataDir?: string; dest?: string};

/**
 * The console's arguments when `argv` holds nothing else: no command, only --data-dir and --dest,
 * each at most once, with a value (`--flag value` or `--flag=value`). Anything else (another flag,
 * a flag twice, a missing or empty value, a `--flag=` value in quotes) is undefined: meow parses
 * it, as every command line.
 */
export function consoleArguments(argv: readonly string[]): ConsoleArguments | undefined {
	const found: ConsoleArguments = {};
	for (let index = 0; index < argv.length; index++) {
		const match = /^--(data-dir|dest)(?:=(.*))?$/s.exec(argv[index]!);
		if (!match) return undefined;
		const key = match[1] === 'data-dir' ? 'dataDir' : 'dest';
		let value = match[2];
		// meow strips a pair of quotes around a `--flag=value` value (`--data-dir="my gateway"`): left to it.
		if (value !== undefined && /^["']/.test(value)) return undefined;
		if (value === undefined) {
			index++;
			value = argv[index];
			if (value === undefined || value.startsWith('-')) return undefined;
		}
		if (value === '' || found[key] !== undefined) return undefined;
		found[key] = value;
	}
	return found;
}

/** Opens the console (its exit code), or refuses without a terminal (exit 2). */
export async function openConsole(args: ConsoleArguments): Promise<number> {
	// Decide interactive vs CLI before anything mounts: Ink needs raw mode on a real TTY.
	if (!process.stdin.isTTY || !process.stdout.isTTY) {
		process.stderr.write('lifeboat: the interactive console needs a terminal; use the CLI instead (lifeboat --help), e.g. lifeboat backup create --json\n');
		return 2;
	}
	// Ink draws only the final frame when CI / CONTINUOUS_INTEGRATION is set (it reads them
	// once, when loaded). On a real terminal someone is watching, so the console always draws.
	for (const key of ['CI', 'CONTINUOUS_INTEGRATION']) if (key in process.env) process.env[key] = 'false';
	const {runTui} = await import('./ui/run-tui.js');
	return runTui({dataDir: args.dataDir ?? process.env['LIFEBOAT_DATA_DIR'], backupDir: args.dest});
}
