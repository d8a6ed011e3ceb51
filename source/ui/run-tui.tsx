import {render} from 'ink';
import {App} from './App.js';
import {prepareGateway} from './prepare-gateway.js';

export type TuiOptions = {dataDir?: string; backupDir?: string};

/** Mounts the console and resolves with the exit code once the operator quits. */
export async function runTui(options: TuiOptions): Promise<number> {
	const gateway = await prepareGateway(options);
	const instance = render(<App gateway={gateway} />, {exitOnCtrlC: true});
	await instance.waitUntilExit();
	return 0;
}
