import path from 'node:path';
import type {DrillOptions, DrillReport} from '../core/drill/drill-types.js';
import {configDir} from '../core/destinations/named-destinations.js';
import {runDrill} from '../core/drill/run-drill.js';
import type {DrillReportFiles} from './state/drill.js';

/**
 * The drill engine as the console calls it: runDrill, and the reports written into the console's
 * report folder. Kept apart so a test can wrap either (hold a drill at a known check).
 */
export type ConsoleDrillEngine = {
	runDrill(options: DrillOptions): Promise<DrillReport>;
	/** Writes the drill's JSON and Markdown reports (and its drill-history line); returns the files. */
	writeDrillReports(report: DrillReport, env: NodeJS.ProcessEnv): Promise<DrillReportFiles>;
};

/** Where the console writes drill reports: `drills/` in the config folder, beside the drill history. */
export function drillReportDir(env: NodeJS.ProcessEnv): string {
	return path.join(configDir(env), 'drills');
}

export const DEFAULT_DRILL_ENGINE: ConsoleDrillEngine = {
	runDrill,
	async writeDrillReports() {
		throw new Error('the drill engine is not built in yet');
	},
};
