import type {BrowseScreen} from './screens/BrowseScreen.js';
import type {CreateWizard} from './screens/CreateWizard.js';
import type {DrillScreen} from './screens/DrillScreen.js';
import type {QuarantineScreen} from './screens/QuarantineScreen.js';
import type {RestoreWizard} from './screens/RestoreWizard.js';
import type {ScheduleScreen} from './screens/ScheduleScreen.js';

/** The screens other than Home, with the engine modules they bring (archives, SQLite, cron…). */
export type Screens = {
	BrowseScreen: typeof BrowseScreen;
	CreateWizard: typeof CreateWizard;
	DrillScreen: typeof DrillScreen;
	QuarantineScreen: typeof QuarantineScreen;
	RestoreWizard: typeof RestoreWizard;
	ScheduleScreen: typeof ScheduleScreen;
};

let loaded: Screens | undefined;
let loading: Promise<Screens> | undefined;

/**
 * Imports the screens once (later calls share the first). The console draws Home first and loads
 * these just after its first frame, so the engine's modules do not delay it (issue 13: first
 * frame < 300 ms); tests await it before rendering, so every screen renders synchronously there.
 */
export async function loadScreens(): Promise<Screens> {
	loading ??= Promise.all([
		import('./screens/BrowseScreen.js'),
		import('./screens/CreateWizard.js'),
		import('./screens/DrillScreen.js'),
		import('./screens/QuarantineScreen.js'),
		import('./screens/RestoreWizard.js'),
		import('./screens/ScheduleScreen.js'),
	]).then(([browse, create, drill, quarantine, restore, schedule]) => {
		loaded = {
			BrowseScreen: browse.BrowseScreen,
			CreateWizard: create.CreateWizard,
			DrillScreen: drill.DrillScreen,
			QuarantineScreen: quarantine.QuarantineScreen,
			RestoreWizard: restore.RestoreWizard,
			ScheduleScreen: schedule.ScheduleScreen,
		};
		return loaded;
	});
	return loading;
}

/** The screens if they are loaded already, else undefined. */
export function loadedScreens(): Screens | undefined {
	return loaded;
}
