import {appendDrillHistory, defaultDrillReportFile, runDrill, writeDrillReports, type DrillOptions, type DrillReport, type DrillReportPaths} from '../core/drill/index.js';

/**
 * The drill engine as the console calls it: runDrill, and the reports written where the CLI
 * writes them by default, with the drill-history line. Kept apart so a test can wrap either.
 */
export type ConsoleDrillEngine = {
	runDrill(options: DrillOptions): Promise<DrillReport>;
	/** Writes the drill's JSON and Markdown reports and appends its drill-history line; returns the files. */
	writeDrillReports(report: DrillReport, env: NodeJS.ProcessEnv): Promise<DrillReportPaths>;
};

export const DEFAULT_DRILL_ENGINE: ConsoleDrillEngine = {
	runDrill,
	async writeDrillReports(report, env) {
		const files = writeDrillReports(report, defaultDrillReportFile(env, report));
		appendDrillHistory(report, files, env);
		return files;
	},
};
