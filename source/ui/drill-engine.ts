import type {DrillOptions, DrillReport, DrillReportPaths} from '../core/drill/index.js';

/**
 * The drill engine as the console calls it: runDrill, and the reports written where the CLI
 * writes them by default, with the drill-history line. Kept apart so a test can wrap either.
 */
export type ConsoleDrillEngine = {
	runDrill(options: DrillOptions): Promise<DrillReport>;
	/** Writes the drill's JSON and Markdown reports and appends its drill-history line; returns the files. */
	writeDrillReports(report: DrillReport, env: NodeJS.ProcessEnv): Promise<DrillReportPaths>;
};

/** The drill engine is imported when first used, not when the console starts. */
export const DEFAULT_DRILL_ENGINE: ConsoleDrillEngine = {
	runDrill: async options => (await import('../core/drill/index.js')).runDrill(options),
	async writeDrillReports(report, env) {
		const {appendDrillHistory, defaultDrillReportFile, writeDrillReports} = await import('../core/drill/index.js');
		const files = writeDrillReports(report, defaultDrillReportFile(env, report));
		appendDrillHistory(report, files, env);
		return files;
	},
};
