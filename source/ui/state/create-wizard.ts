import {archiveExtension, ENCRYPTED_SUFFIX, type ArchiveFormat} from '../../core/archive/archive-format.js';
import type {CreateBackupOptions} from '../../core/backup/create-backup.js';
import {resolveCategories} from '../../core/backup/create-backup.js';
import {categorySpec, type CategoryId} from '../../core/store/schema.js';
import {passphraseStrength} from '../../core/crypto/passphrase-strength.js';
import path from 'node:path';
import {choiceProblem, type DestinationChoice} from './destinations.js';

/**
 * The backup wizard as a reducer: every step, every validation and the options handed to
 * createBackup are decided here, so the whole flow is testable without rendering.
 */
export type CreateStep =
	| 'scope'
	| 'categories'
	| 'tenant'
	| 'format'
	| 'encryption'
	| 'passphrase'
	| 'passphrase-confirm'
	| 'passphrase-file'
	| 'destination'
	| 'destination-other'
	| 'name'
	| 'review'
	| 'running'
	| 'result';

export type Encryption = 'none' | 'passphrase' | 'file';

/**
 * A tenant picked in a wizard. The engine is given its id: findTenant takes an id before a slug,
 * so a slug that is also another tenant's id would name that other tenant.
 */
export type WizardTenant = {id: string; slug: string};

export type CreateWizardState = {
	step: CreateStep;
	/** Steps behind the current one, for Esc. */
	history: CreateStep[];
	scope: 'all' | 'pick';
	categories: CategoryId[];
	/** The tenant (named to the engine by its id, shown by its slug), or null for every tenant. */
	tenant: WizardTenant | null;
	format: ArchiveFormat;
	encryption: Encryption;
	passphrase: string;
	passphraseConfirm: string;
	passphraseFile: string;
	/** Where the backup goes: a local folder, a named destination's name, or a URL (state/destinations). */
	destDir: string;
	/** The destination as printed: the folder, or its URL. */
	destUrl: string;
	/** A remote destination: written through it (streamed), never as a folder backup. */
	destRemote: boolean;
	/** "Another path or URL": the text being typed. */
	destTyped: string;
	name: string;
	/** A weak passphrase was submitted: 'ask' waits for y/n; 'accepted' once the operator said yes. */
	weakPassphrase?: 'ask' | 'accepted' | undefined;
	error?: string | undefined;
};

export type CreateAction =
	| {type: 'scope'; scope: 'all' | 'pick'}
	| {type: 'categories'; categories: CategoryId[]}
	| {type: 'tenant'; tenant: WizardTenant | null}
	| {type: 'format'; format: ArchiveFormat}
	| {type: 'encryption'; encryption: Encryption}
	| {type: 'edit'; field: 'passphrase' | 'passphraseConfirm' | 'passphraseFile' | 'destDir' | 'destTyped' | 'name'; value: string}
	/** A destination picked from the list, or typed and understood (by the screen, which reads the named ones). */
	| {type: 'destination'; choice: DestinationChoice}
	/** "Another path or URL…": the text field, starting from the current choice. */
	| {type: 'other'}
	| {type: 'submit'}
	| {type: 'weak'; use: boolean}
	| {type: 'back'}
	| {type: 'start'}
	| {type: 'finished'}
	| {type: 'failed'; error: string}
	| {type: 'error'; error: string};

export function initialCreateState(options: {destDir: string; name: string}): CreateWizardState {
	return {
		step: 'scope',
		history: [],
		scope: 'all',
		categories: [],
		tenant: null,
		format: 'zip',
		encryption: 'none',
		passphrase: '',
		passphraseConfirm: '',
		passphraseFile: '',
		destDir: options.destDir,
		destUrl: options.destDir,
		destRemote: false,
		destTyped: options.destDir,
		name: options.name,
	};
}

const go = (state: CreateWizardState, step: CreateStep): CreateWizardState => ({...state, step, history: [...state.history, state.step], error: undefined});

export function createWizardReducer(state: CreateWizardState, action: CreateAction): CreateWizardState {
	switch (action.type) {
		case 'scope':
			return go({...state, scope: action.scope}, action.scope === 'pick' ? 'categories' : 'tenant');
		case 'categories':
			if (action.categories.length === 0) return {...state, error: 'Tick at least one category (Space), or go back and choose everything'};
			return go({...state, categories: action.categories}, 'tenant');
		case 'tenant':
			return go({...state, tenant: action.tenant}, 'format');
		case 'format': {
			// A folder backup cannot be encrypted: skip the question instead of failing later.
			const next = go({...state, format: action.format}, action.format === 'dir' ? 'destination' : 'encryption');
			return action.format === 'dir' ? {...next, encryption: 'none'} : next;
		}
		case 'encryption': {
			const step = action.encryption === 'none' ? 'destination' : action.encryption === 'passphrase' ? 'passphrase' : 'passphrase-file';
			return go({...state, encryption: action.encryption, passphrase: '', passphraseConfirm: '', weakPassphrase: undefined}, step);
		}
		case 'edit': {
			// A yes to a weak passphrase holds for that text only.
			const weak = action.field === 'passphrase' ? {weakPassphrase: undefined} : {};
			return {...state, ...weak, [action.field]: action.value, error: undefined};
		}
		case 'weak':
			if (state.step !== 'passphrase' || state.weakPassphrase !== 'ask') return state;
			if (!action.use) return {...state, weakPassphrase: undefined};
			return go({...state, weakPassphrase: 'accepted', passphraseConfirm: ''}, 'passphrase-confirm');
		case 'destination': {
			if (state.step !== 'destination' && state.step !== 'destination-other') return state;
			const problem = choiceProblem(action.choice, state.format);
			if (problem) return {...state, error: problem};
			return go({...state, destDir: action.choice.where, destUrl: action.choice.url, destRemote: action.choice.remote}, 'name');
		}
		case 'other':
			return state.step === 'destination' ? go({...state, destTyped: state.destRemote ? state.destUrl : state.destDir}, 'destination-other') : state;
		case 'submit':
			return submit(state);
		case 'back': {
			if (state.step === 'running') return state;
			const history = [...state.history];
			let previous = history.pop();
			// Never step back into the second passphrase prompt: start the pair again.
			if (previous === 'passphrase-confirm') previous = history.pop();
			if (!previous) return state;
			const cleared = previous === 'passphrase' || previous === 'encryption' ? {passphrase: '', passphraseConfirm: '', weakPassphrase: undefined} : {};
			return {...state, ...cleared, step: previous, history, error: undefined};
		}
		case 'start':
			return state.step === 'review' ? {...state, step: 'running', error: undefined} : state;
		case 'finished':
			return {...state, step: 'result', error: undefined};
		case 'failed':
			return {...state, step: 'review', error: action.error};
		case 'error':
			return {...state, error: action.error};
	}
}

function submit(state: CreateWizardState): CreateWizardState {
	switch (state.step) {
		case 'passphrase':
			if (state.passphrase.length === 0) return {...state, error: 'The passphrase must not be empty'};
			if (passphraseStrength(state.passphrase).level === 'weak' && state.weakPassphrase !== 'accepted') return {...state, weakPassphrase: 'ask'};
			return go({...state, passphraseConfirm: ''}, 'passphrase-confirm');
		case 'passphrase-confirm':
			if (state.passphraseConfirm !== state.passphrase) {
				return {...state, step: 'passphrase', history: state.history.slice(0, -1), passphrase: '', passphraseConfirm: '', weakPassphrase: undefined, error: 'The passphrases do not match; type it again'};
			}
			return go(state, 'destination');
		case 'passphrase-file':
			if (state.passphraseFile.trim() === '') return {...state, error: 'Type the path of a file holding the passphrase'};
			return go(state, 'destination');
		case 'destination':
			if (state.destDir.trim() === '') return {...state, error: 'Type a folder for the backup'};
			return go({...state, destDir: state.destDir.trim(), destUrl: state.destDir.trim(), destRemote: false}, 'name');
		case 'name': {
			const problem = nameProblem(state.name);
			if (problem) return {...state, error: problem};
			return go({...state, name: state.name.trim()}, 'review');
		}
		default:
			return state;
	}
}

export function nameProblem(name: string): string | undefined {
	const trimmed = name.trim();
	if (trimmed === '') return 'The name must not be empty';
	if (/[/\\]/.test(trimmed)) return 'The name must not contain / or \\ (it is a file name, not a path)';
	if (trimmed.startsWith('.')) return 'The name must not start with a dot';
	return undefined;
}

/** The backup's file (object) name: the name plus its format's extension. */
export function outputName(state: CreateWizardState): string {
	return state.name.trim() + archiveExtension(state.format) + (state.encryption === 'none' ? '' : ENCRYPTED_SUFFIX);
}

/** Where the backup will be written: a path, or the destination's URL and the object name. */
export function outputPath(state: CreateWizardState): string {
	if (state.destRemote) return state.destUrl + encodeURIComponent(outputName(state)).replace(/%40/g, '@');
	return path.join(path.resolve(state.destDir), outputName(state));
}

/** The categories the backup will hold, as the engine will resolve them. */
export function plannedCategories(state: CreateWizardState): CategoryId[] {
	return resolveCategories(state.scope === 'all' ? undefined : state.categories, state.tenant !== null);
}

/** The review screen's lines. Never shows the passphrase. */
export function reviewLines(state: CreateWizardState): Array<[string, string]> {
	const categories = plannedCategories(state);
	const categoryText = state.scope === 'all' ? `everything (${categories.length} categories)` : categories.map(id => categorySpec(id).label).join(', ');
	const typed = `passphrase (typed, ${passphraseStrength(state.passphrase).level}, AES-256-GCM)`;
	const encryption = state.encryption === 'none' ? 'none' : state.encryption === 'passphrase' ? typed : `passphrase from ${state.passphraseFile}`;
	return [
		['Categories', categoryText],
		['Tenants', state.tenant?.slug ?? 'all tenants'],
		['Format', state.format],
		['Encryption', encryption],
		['Output', outputPath(state)],
	];
}

/** The createBackup call the wizard makes (the passphrase is resolved by the caller). */
export function backupOptions(state: CreateWizardState, dataDir: string, passphrase: string | undefined): CreateBackupOptions {
	return {
		dataDir,
		destDir: path.resolve(state.destDir),
		name: state.name.trim(),
		format: state.format,
		categories: state.scope === 'all' ? undefined : state.categories,
		tenant: state.tenant?.id ?? undefined,
		...(passphrase === undefined ? {} : {passphrase}),
	};
}
