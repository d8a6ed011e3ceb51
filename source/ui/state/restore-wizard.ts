import {terminalSafe} from '../../core/terminal-safe.js';
import type {BackupMetadata} from '../../core/archive/archive-format.js';
import type {ConflictRef, RestoreMode, RestoreOptions, RestorePlan} from '../../core/restore/restore-types.js';
import {categorySpec, type CategoryId} from '../../core/store/schema.js';
import {lineWithPath} from '../text-fit.js';

/**
 * The restore wizard as a reducer: pick → passphrase → categories (→ new data directory) →
 * target tenant → mode → dry-run plan (expandable to conflicts and one conflict side by side) →
 * confirm → apply → summary. Every engine call it leads to is built by `restoreOptions`.
 */
export type RestoreStep =
	| 'pick'
	| 'passphrase'
	| 'opening'
	| 'categories'
	| 'new-data-dir'
	| 'target'
	| 'new-tenant'
	| 'mode'
	| 'planning'
	| 'plan'
	| 'conflicts'
	| 'conflict'
	| 'confirm'
	| 'applying'
	| 'summary';

/** Where the data goes: the backup's own tenant(s), an existing tenant, or a new one. */
/** Another live tenant is named to the engine by its id (see WizardTenant), and shown by its slug. */
export type RestoreTarget = {kind: 'same'} | {kind: 'tenant'; id: string; slug: string} | {kind: 'new'; name: string};

export type RestoreWizardState = {
	step: RestoreStep;
	history: RestoreStep[];
	backupPath?: string | undefined;
	encrypted: boolean;
	passphrase?: string | undefined;
	metadata?: BackupMetadata | undefined;
	categories: CategoryId[];
	target: RestoreTarget;
	/** Restore into a new gateway in this folder (absent or empty: a bare host) instead of the console's gateway. */
	newDataDir?: string | undefined;
	/** The console's own data dir when it is a bare host (absent or empty): every restore builds the gateway there. */
	bareHost?: string | undefined;
	mode: RestoreMode;
	plan?: RestorePlan | undefined;
	/** Category whose conflicts are listed, and the conflict shown side by side. */
	expanded?: CategoryId | undefined;
	conflict?: ConflictRef | undefined;
	error?: string | undefined;
};

export type RestoreAction =
	| {type: 'pick'; backupPath: string; encrypted: boolean}
	| {type: 'passphrase'; passphrase: string}
	| {type: 'opened'; metadata: BackupMetadata}
	| {type: 'open-failed'; error: string}
	| {type: 'categories'; categories: CategoryId[]}
	/** `n` on the categories step: these categories, into a new data directory typed next. */
	| {type: 'into-new-data-dir'; categories: CategoryId[]}
	/** The folder typed, absolute, checked absent or empty by the screen. */
	| {type: 'new-data-dir'; dir: string}
	| {type: 'target'; target: RestoreTarget}
	| {type: 'new-tenant'; name: string}
	| {type: 'mode'; mode: RestoreMode}
	| {type: 'planned'; plan: RestorePlan}
	| {type: 'plan-failed'; error: string}
	| {type: 'expand'; category: CategoryId}
	| {type: 'show-conflict'; conflict: ConflictRef}
	| {type: 'proceed'}
	| {type: 'confirm'; typed: string}
	| {type: 'applied'}
	| {type: 'apply-failed'; error: string}
	| {type: 'back'}
	| {type: 'error'; error: string};

/** `bareHost`: the console's data dir, absent or empty, which the restore then builds the gateway in. */
export function initialRestoreState(backupPath?: string, encrypted = false, bareHost?: string): RestoreWizardState {
	const base: RestoreWizardState = {step: 'pick', history: [], encrypted: false, categories: [], target: {kind: 'same'}, mode: 'additive', ...(bareHost ? {bareHost, newDataDir: bareHost} : {})};
	return backupPath ? {...base, backupPath, encrypted, step: encrypted ? 'passphrase' : 'opening'} : base;
}

/** Back at an earlier step, as if the steps after it had not been taken. */
const returnTo = (state: RestoreWizardState, step: RestoreStep, error: string): RestoreWizardState => {
	const index = state.history.lastIndexOf(step);
	return {...state, step, history: index >= 0 ? state.history.slice(0, index) : state.history, error};
};

const go = (state: RestoreWizardState, step: RestoreStep, extra: Partial<RestoreWizardState> = {}): RestoreWizardState => {
	// Transient steps (work in progress) are never returned to with Esc.
	const transient: RestoreStep[] = ['opening', 'planning', 'applying'];
	const history = transient.includes(state.step) ? state.history : [...state.history, state.step];
	return {...state, ...extra, step, history, error: undefined};
};

/** True when the backup holds one tenant, so it can land in another one. */
export function canChooseTenant(metadata: BackupMetadata | undefined): boolean {
	return metadata?.tenants.length === 1;
}

export function restoreWizardReducer(state: RestoreWizardState, action: RestoreAction): RestoreWizardState {
	switch (action.type) {
		case 'pick':
			return go(state, action.encrypted ? 'passphrase' : 'opening', {backupPath: action.backupPath, encrypted: action.encrypted, passphrase: undefined, metadata: undefined, plan: undefined});
		case 'passphrase':
			if (action.passphrase === '') return {...state, error: 'Type the passphrase the backup was made with'};
			return go(state, 'opening', {passphrase: action.passphrase});
		case 'opened':
			return go(state, 'categories', {metadata: action.metadata, categories: [...action.metadata.categories]});
		case 'open-failed':
			// A wrong passphrase is retried where it was typed; anything else goes back to the list.
			return returnTo(state, state.encrypted ? 'passphrase' : 'pick', action.error);
		case 'categories':
			if (action.categories.length === 0) return {...state, error: 'Tick at least one category (Space)'};
			return go(state, canChooseTenant(state.metadata) ? 'target' : 'mode', {categories: action.categories, target: {kind: 'same'}, newDataDir: state.bareHost});
		case 'into-new-data-dir':
			// On a bare host the restore already builds a new gateway: in the console's data dir.
			if (state.bareHost) return state;
			if (action.categories.length === 0) return {...state, error: 'Tick at least one category (Space)'};
			return go(state, 'new-data-dir', {categories: action.categories, newDataDir: undefined});
		case 'new-data-dir':
			if (action.dir.trim() === '') return {...state, error: 'Type the folder for the new gateway (absent or empty)'};
			return go(state, canChooseTenant(state.metadata) ? 'target' : 'mode', {newDataDir: action.dir, target: {kind: 'same'}});
		case 'target':
			return action.target.kind === 'new' ? go(state, 'new-tenant', {target: action.target}) : go(state, 'mode', {target: action.target});
		case 'new-tenant':
			if (action.name.trim() === '') return {...state, error: 'Type a name for the new tenant'};
			return go(state, 'mode', {target: {kind: 'new', name: action.name.trim()}});
		case 'mode':
			if (action.mode === 'replace' && state.target.kind === 'new') {
				return {...state, error: 'Replace needs an existing tenant; restore additively (or overwrite) to create a new one'};
			}
			return go(state, 'planning', {mode: action.mode, plan: undefined});
		case 'planned':
			return go(state, 'plan', {plan: action.plan});
		case 'plan-failed':
			return returnTo(state, 'mode', action.error);
		case 'expand':
			return go(state, 'conflicts', {expanded: action.category});
		case 'show-conflict':
			return go(state, 'conflict', {conflict: action.conflict});
		case 'proceed':
			if (state.step !== 'plan' || !state.plan) return state;
			return needsConfirmation(state) ? go(state, 'confirm') : go(state, 'applying');
		case 'confirm': {
			const expected = confirmationWord(state);
			if (action.typed.trim() !== expected.trim()) return {...state, error: `Type ${expected} exactly to ${state.mode}, or Esc to go back`};
			return go(state, 'applying');
		}
		case 'applied':
			return {...state, step: 'summary', history: [], error: undefined};
		case 'apply-failed':
			return returnTo(state, 'plan', action.error);
		case 'back': {
			if (state.step === 'applying' || state.step === 'summary') return state;
			const history = [...state.history];
			const previous = history.pop();
			if (!previous) return state;
			return {...state, step: previous, history, error: undefined};
		}
		case 'error':
			return {...state, error: action.error};
	}
}

/**
 * Whether the planned restore asks for a typed word first: a replace always (it deletes), an
 * overwrite when it would write over live entries (the CLI's --yes).
 */
export function needsConfirmation(state: RestoreWizardState): boolean {
	return state.plan !== undefined && planNeedsConfirmation(state.plan);
}

export function planNeedsConfirmation(plan: RestorePlan): boolean {
	return plan.mode === 'replace' || (plan.mode === 'overwrite' && plan.totals.conflicts > 0);
}

/** What the operator types to confirm a replace or an overwrite: the target tenant's slug, or the mode's name for a whole-gateway backup. */
export function confirmationWord(state: RestoreWizardState): string {
	// As the screen shows it (a control character as \u{..}, which can be typed), and never blank.
	const slug = state.plan?.targetTenant?.slug;
	return slug !== undefined && terminalSafe(slug).trim() !== '' ? terminalSafe(slug) : state.mode;
}

/** The engine options of this restore (without the opened source and callbacks). */
export function restoreOptions(state: RestoreWizardState, dataDir: string): Omit<RestoreOptions, 'source'> {
	const all = state.metadata ? state.categories.length === state.metadata.categories.length : false;
	const intoTenant = state.target.kind === 'tenant' ? state.target.id : state.target.kind === 'new' ? state.target.name : undefined;
	return {
		dataDir: state.newDataDir ?? dataDir,
		mode: state.mode,
		...(all ? {} : {only: [...state.categories]}),
		...(intoTenant === undefined ? {} : {intoTenant}),
		...(state.passphrase === undefined ? {} : {passphrase: state.passphrase}),
	};
}

/** "tenant globex", "2 tenants of the backup · new gateway in /srv/gw", for titles and the confirmation. */
export function describeTarget(state: RestoreWizardState): string {
	// Slugs and paths are data: on one row, shown rather than obeyed (terminalSafe), wherever this is drawn.
	const tenants = describeTenants(state);
	return state.newDataDir ? `${tenants} · new gateway in ${terminalSafe(state.newDataDir)}` : tenants;
}

/**
 * describeTarget as one row of `width` after `before` and before `after`: a long new-gateway
 * path is cut at its start (its end stays visible), never the end of the line.
 */
export function describeTargetLine(state: RestoreWizardState, before: string, after: string, width: number): string {
	const tenants = describeTenants(state);
	if (!state.newDataDir) return `${before}${tenants}${after}`;
	return lineWithPath(`${before}${tenants} · new gateway in `, state.newDataDir, after, width);
}

function describeTenants(state: RestoreWizardState): string {
	const tenant = state.plan?.targetTenant;
	if (tenant) return `tenant ${terminalSafe(tenant.slug)}${tenant.exists ? '' : ' (new)'}`;
	if (state.target.kind === 'tenant') return `tenant ${terminalSafe(state.target.slug)}`;
	if (state.target.kind === 'new') return `new tenant ${terminalSafe(state.target.name)}`;
	const count = state.metadata?.tenants.length ?? 0;
	return `${count} tenant${count === 1 ? '' : 's'} of the backup`;
}

export function categoryLabel(id: CategoryId): string {
	return categorySpec(id).label;
}
