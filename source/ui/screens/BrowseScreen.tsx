import {Box} from 'ink';
import {Text} from '../components/Text.js';
import {useEffect, useMemo, useReducer, useRef, useState, type Dispatch, type ReactNode, type RefObject, type SetStateAction} from 'react';
import {backupKindLabel, listedChain, type BackupListing} from '../../core/backup/list-backups.js';
import {formatAge, formatBytes, formatCount} from '../../core/format.js';
import {terminalSafe} from '../../core/terminal-safe.js';
import {categorySpec, isCategoryId} from '../../core/store/schema.js';
import {copyBackup, deleteBackup} from '../backup-actions.js';
import {Busy} from '../components/Busy.js';
import {DestinationList} from '../components/DestinationList.js';
import {BodyRows, Frame} from '../components/Frame.js';
import {KeyValue} from '../components/KeyValue.js';
import {SelectList, useListKeys, type ListItem, type ListKeys} from '../components/SelectList.js';
import {errorStatus, type Status} from '../components/StatusLine.js';
import {TextField} from '../components/TextField.js';
import {useConsole, type Navigation} from '../console-context.js';
import {browseWhere, deleteFrom, downloadFrom, isRemoteListing, readCandidates, readNamedOrNone, refAt} from '../destination-access.js';
import {unreadListing} from '../../core/backup/list-backups.js';
import {describeError} from '../describe-error.js';
import {useAsync, type AsyncState} from '../hooks/use-async.js';
import {useTask} from '../hooks/use-task.js';
import {useTerminalSize} from '../hooks/use-terminal-size.js';
import {useVerify} from '../hooks/use-verify.js';
import {useDiff} from '../hooks/use-diff.js';
import {useCommands, type CommandHandlers, type CommandName} from '../keys.js';
import {destinationChoices, fitWhere, type DestinationChoice} from '../state/destinations.js';
import {browseReducer, diffPair, initialBrowseState, isTextPrompt, keepSelection, shortAge, type BrowseAction, type BrowseState} from '../state/browse.js';
import {fit, fitPath, shortDate} from '../text-fit.js';
import {useTheme, type Theme} from '../theme.js';
import {VerifyPanel, verifyPanelRows} from './VerifyPanel.js';
import {DiffPanel} from './DiffPanel.js';

/**
 * Backups in a folder or at a destination: a windowed list, details, verify, restore, delete,
 * copy (a remote backup is downloaded), and `s` to switch destination. The cursor
 * stays on the same backup (by path) whatever the list does meanwhile: `selectedPath` is where
 * it starts (back from a restore).
 */
export function BrowseScreen({destDir, selectedPath}: {destDir?: string | undefined; selectedPath?: string | undefined}) {
	const {gateway, nav, env} = useConsole();
	const {columns} = useTerminalSize();
	const [state, dispatch] = useReducer(browseReducer, destDir ?? gateway.backupDir, initialBrowseState);
	const [revision, setRevision] = useState(0);
	// A folder not made yet holds no backups (as `backup list` says); anything else unreadable is an error.
	const listing = useAsync(() => browseWhere(state.destDir, env), [state.destDir, revision]);
	// Read again each time the switcher opens (a destination added meanwhile shows up).
	const named = useMemo(() => readNamedOrNone(env), [env, state.mode === 'switch']);
	const choices = useMemo(() => destinationChoices(gateway.backupDir, named.named), [gateway.backupDir, named]);
	// The backup under the cursor, and the order the list was in when it was put there.
	const [cursor, setCursor] = useState<Cursor>({path: selectedPath, order: []});
	const [message, setMessage] = useState<Status | undefined>(undefined);
	const verify = useVerify();
	const diff = useDiff();
	const fileTask = useTask<string>();

	const summaries = useLazySummaries(listing.status === 'done' ? listing.value : undefined);
	const backups = summaries.backups;
	const items = useMemo(() => backups.map(backup => ({key: backup.path, label: backup.fileName, value: backup})), [backups]);
	const paths = useMemo(() => backups.map(backup => backup.path), [backups]);
	useFileTaskOutcome(fileTask.state, setMessage, setRevision);

	const keptPath = keepSelection(cursor.order, cursor.path, paths);
	const selected = backups.find(backup => backup.path === keptPath);
	// The list's keys are read here, with the screen's: an action reads the row the last move reached.
	const list = useListKeys<BackupListing>();
	const current = () => list.current() ?? selected;
	const textEntry = isTextPrompt(state.mode);
	const busy = fileTask.state.status === 'running';

	const startVerify = (passphrase?: string) => {
		const backup = current();
		if (!backup) return;
		setMessage(undefined);
		verify.start(refAt(state.destDir, backup, env), passphrase);
	};
	/** A new action starts: the last one's outcome (a copy error, "Deleted …") is no longer news. */
	const ask = (mode: PromptMode, draft?: string) => {
		setMessage(undefined);
		dispatch({type: 'prompt', mode, draft});
	};
	/** `=`: the marked pair (or one, or the highlighted backup, against the live store); encrypted ones ask for the passphrase first. */
	const startDiff = (passphrase?: string) => {
		const pair = diffPair(state.marked, current(), backups);
		if (!pair) return;
		if (passphrase === undefined && (pair.a.encrypted || pair.b?.encrypted)) return ask('diff-passphrase');
		setMessage(undefined);
		dispatch({type: 'diff'});
		diff.start(refAt(state.destDir, pair.a, env), pair.b && refAt(state.destDir, pair.b, env), passphrase);
	};
	useBrowseKeys({state, dispatch, selected, current, listCommands: list.handlers, busy, textEntry, nav, verify, fileTask, ask, startVerify, env, startDiff, closeDiff: diff.reset});

	const theme = useTheme();
	const view: BrowseView = {listKeys: list.ref, state, dispatch, listing, backups, summaries, items, paths, selected, cursor, setCursor, setMessage, columns, theme, busy, textEntry, verify, fileTask, startVerify, env, choices, namedProblem: named.problem, diff, startDiff};
	const prompt = browsePrompt(view);
	const count = listing.status === 'done' ? ` · ${formatCount(backups.length)} backup${backups.length === 1 ? '' : 's'}` : '';
	return (
		<Frame title={`Browse · ${fitWhere(state.destDir, named.named, Math.max(10, columns - 40), fitPath)}${count}`} commands={browseCommands(state.mode)} status={browseStatus(listing, message)} textEntry={textEntry} meanings={BROWSE_MEANINGS}>
			{browseBody(view)}
			{prompt ? (
				<Box key={state.mode} marginTop={1}>
					{prompt}
				</Box>
			) : undefined}
			{busy ? <Busy label="Working…" /> : undefined}
			<VerifyPanel state={verify.state} width={columns} retry="v to try again" />
		</Frame>
	);
}

type Cursor = {path: string | undefined; order: readonly string[]};

type BrowseListing = Awaited<ReturnType<typeof browseWhere>>;
type LazySummaries = {backups: BackupListing[]; readRows: (first: number, end: number) => void; allRead: boolean};

/**
 * The rows of a listing with each local backup's summary read only once its row comes into view
 * (`readRows`, from the list's window): the first screen of 10,000 backups reads about 20 files.
 * Rows keep the listing's order (newest file first) as their summaries arrive.
 */
function useLazySummaries(listing: BrowseListing | undefined): LazySummaries {
	// Both belong to one listing: a listing read again (after a copy or a delete) starts afresh.
	const [read, setRead] = useState<{of?: BrowseListing; rows: ReadonlyMap<string, BackupListing>}>({rows: new Map()});
	const requested = useRef<{of?: BrowseListing; paths: Set<string>}>({paths: new Set()});
	const rows = read.of === listing ? read.rows : undefined;
	const backups = useMemo(() => (listing ? listing.backups.map(backup => rows?.get(backup.path) ?? backup) : []), [listing, rows]);
	const arrive = (of: BrowseListing, arrived: readonly BackupListing[]) =>
		setRead(before => ({of, rows: new Map([...(before.of === of ? before.rows : []), ...arrived.map(row => [row.path, row] as const)])}));
	const readRows = (first: number, end: number) => {
		const candidates = listing?.candidates;
		if (!listing || !candidates) return;
		if (requested.current.of !== listing) requested.current = {of: listing, paths: new Set()};
		const asked = requested.current.paths;
		const wanted = listing.backups.slice(first, end).flatMap(backup => {
			const candidate = candidates.get(backup.path);
			if (!candidate || asked.has(backup.path)) return [];
			asked.add(backup.path);
			return [candidate];
		});
		if (wanted.length === 0) return;
		void readCandidates(wanted).then(
			arrived => arrive(listing, arrived),
			(error: unknown) => {
				// No file descriptor to be had: the rows say why, and are read again when next in view.
				for (const candidate of wanted) asked.delete(candidate.path);
				arrive(listing, wanted.map(candidate => ({...unreadListing(candidate), error: describeError(error)})));
			},
		);
	};
	const allRead = !listing?.candidates || (rows?.size ?? 0) >= listing.backups.length;
	return {backups, readRows, allRead};
}
type PromptMode = 'confirm-delete' | 'copy' | 'folder' | 'passphrase' | 'switch' | 'diff-passphrase';
type FileTask = ReturnType<typeof useTask<string>>;

/** A copy or delete that ended: its outcome on the status line, and the list read again. */
function useFileTaskOutcome(task: FileTask['state'], setMessage: (message: Status | undefined) => void, setRevision: Dispatch<SetStateAction<number>>): void {
	useEffect(() => {
		if (task.status === 'done') {
			setMessage({kind: 'ok', text: task.result});
			setRevision(value => value + 1);
		}
		if (task.status === 'error') setMessage(errorStatus(task.error, 'try another path, or Esc'));
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [task]);
}

/** The keys of each mode: the backup's actions in the list and the details, y/n on delete, Esc closes a prompt. */
function useBrowseKeys({
	state,
	dispatch,
	selected,
	current,
	listCommands,
	busy,
	textEntry,
	nav,
	verify,
	fileTask,
	ask,
	startVerify,
	env,
	startDiff,
	closeDiff,
}: {
	state: BrowseState;
	dispatch: Dispatch<BrowseAction>;
	selected: BackupListing | undefined;
	/** The backup under the cursor as the last key left it (a move earlier in the same read included). */
	current: () => BackupListing | undefined;
	listCommands: CommandHandlers;
	busy: boolean;
	textEntry: boolean;
	nav: Navigation;
	verify: ReturnType<typeof useVerify>;
	fileTask: FileTask;
	ask: (mode: PromptMode, draft?: string) => void;
	startVerify: (passphrase?: string) => void;
	env: NodeJS.ProcessEnv;
	startDiff: () => void;
	closeDiff: () => void;
}): void {
	const actions: Partial<Record<CommandName, () => void>> = {
		verify: () => {
			const backup = current();
			if (!backup) return;
			if (backup.encrypted) ask('passphrase');
			else startVerify();
		},
		restore: () => {
			const backup = current();
			if (!backup) return;
			nav.restore({path: backup.path, encrypted: backup.encrypted}, {destDir: state.destDir});
		},
		delete: () => current() && ask('confirm-delete'),
		copy: () => current() && ask('copy', process.cwd()),
	};
	const handlers: Partial<Record<CommandName, () => void>> = {};
	if (state.mode === 'list') {
		Object.assign(handlers, actions, {folder: () => ask('folder', state.destDir), switch: () => ask('switch'), back: nav.home});
		Object.assign(handlers, listCommands, {mark: () => markCurrent(current(), dispatch), diff: () => startDiff()});
	}
	if (state.mode === 'diff') {
		handlers.back = () => {
			closeDiff();
			dispatch({type: 'close'});
		};
	}
	if (state.mode === 'switch') handlers.back = () => dispatch({type: 'close'});
	if (state.mode === 'details') Object.assign(handlers, actions, {back: () => dispatch({type: 'close'})});
	if (state.mode === 'confirm-delete') {
		handlers.yes = () => {
			const target = selected;
			dispatch({type: 'deleted'});
			if (!target) return;
			verify.reset();
			const where = state.destDir;
			fileTask.start(async () => {
				if (isRemoteListing(target)) await deleteFrom(where, target.fileName, env);
				else await deleteBackup(target);
				return `Deleted ${target.fileName}`;
			});
		};
		handlers.no = () => dispatch({type: 'close'});
	}
	if (textEntry) handlers.back = () => dispatch({type: 'close'});
	useCommands(busy ? {} : handlers, {textEntry});
}

function markCurrent(backup: BackupListing | undefined, dispatch: Dispatch<BrowseAction>): void {
	if (backup) dispatch({type: 'mark', path: backup.path});
}

function browseStatus(listing: AsyncState<BrowseListing>, message: Status | undefined): Status | undefined {
	if (listing.status === 'error') return errorStatus(listing.error, 'f to pick another folder, Esc to go back');
	return message;
}

function browseCommands(mode: BrowseState['mode']): CommandName[] {
	if (mode === 'list') return ['up', 'down', 'select', 'verify', 'restore', 'delete', 'copy', 'mark', 'diff', 'folder', 'switch', 'back'];
	if (mode === 'diff') return ['up', 'down', 'back'];
	if (mode === 'details') return ['verify', 'restore', 'delete', 'copy', 'back'];
	if (mode === 'confirm-delete') return ['yes', 'no'];
	if (mode === 'switch') return ['up', 'down', 'select', 'back'];
	return ['select', 'back'];
}

/** Everything the screen's body and prompt read. */
type BrowseView = {
	listKeys: RefObject<ListKeys<BackupListing> | undefined>;
	state: BrowseState;
	dispatch: Dispatch<BrowseAction>;
	listing: AsyncState<BrowseListing>;
	backups: BackupListing[];
	summaries: LazySummaries;
	items: Array<ListItem<BackupListing>>;
	paths: readonly string[];
	selected: BackupListing | undefined;
	cursor: Cursor;
	setCursor: (cursor: Cursor) => void;
	setMessage: (message: Status | undefined) => void;
	columns: number;
	theme: Theme;
	busy: boolean;
	textEntry: boolean;
	verify: ReturnType<typeof useVerify>;
	fileTask: FileTask;
	startVerify: (passphrase?: string) => void;
	env: NodeJS.ProcessEnv;
	/** The switcher's rows, and why the named destinations cannot be read (if so). */
	choices: readonly DestinationChoice[];
	namedProblem: string | undefined;
	diff: ReturnType<typeof useDiff>;
	startDiff: (passphrase?: string) => void;
};

/** Rows the destination switcher uses for its list. */
const switcherHeight = (choices: readonly DestinationChoice[]) => Math.min(choices.length, 6);

/** Reading, the details of one backup, "no backups", or the list. */
function browseBody(view: BrowseView): ReactNode {
	const {state, listing, backups, selected, columns} = view;
	if (listing.status === 'loading') return <Busy label={`Reading ${fitPath(state.destDir, Math.max(10, columns - 12))}…`} />;
	// The status line says why the folder cannot be read; an empty table would only add noise.
	if (listing.status === 'error') return undefined;
	if (state.mode === 'details' && selected) return <BackupDetails backup={selected} columns={columns} backups={backups} summaries={view.summaries} />;
	if (state.mode === 'diff') return <DiffPanel state={view.diff.state} isActive />;
	if (backups.length === 0 && listing.status === 'done') return <Text>No backups in {state.destDir} yet. Create one from Home, or press f to look in another folder.</Text>;
	return backupList(view);
}

function backupList(view: BrowseView): ReactNode {
	const {state, dispatch, backups, items, paths, selected, cursor, setCursor, columns, theme, busy, textEntry, verify} = view;
	const layout = columnLayout(columns);
	// Beside the list: its header row, a prompt under it, the busy line, the verify panel (the
	// status line has its own rows in the frame).
	const prompt = textEntry ? 4 : state.mode === 'confirm-delete' ? 2 : state.mode === 'switch' ? switcherHeight(view.choices) + 2 + (view.namedProblem ? 1 : 0) : 0;
	const besideList = 1 + prompt + (busy ? 1 : 0) + verifyPanelRows(verify.state, columns, 'v to try again');
	return (
		<Box flexDirection="column">
			<Text dimColor wrap="truncate">
				{'  '}
				{headerRow(layout)}
			</Text>
			<BodyRows reserve={besideList} min={2}>
				{listHeight => (
					<SelectList
						items={items}
						height={listHeight}
						isActive={state.mode === 'list' && !busy}
						keys={view.listKeys}
						onWindow={view.summaries.readRows}
						initialIndex={selected ? Math.max(0, backups.indexOf(selected)) : 0}
						onHighlight={item => {
							if (item.value.path !== cursor.path) verify.reset();
							if (item.value.path !== cursor.path || cursor.order !== paths) setCursor({path: item.value.path, order: paths});
						}}
						onSelect={() => dispatch({type: 'details'})}
						renderRow={(item, isCursor) => (
							<Text color={item.value.error ? theme.error : isCursor ? theme.selected : undefined} bold={isCursor} inverse={isCursor && !theme.color} wrap="truncate">
								{isCursor ? '›' : ' '}
								{state.marked.includes(item.value.path) ? '*' : ' '}
								{row(item.value, layout)}
							</Text>
						)}
					/>
				)}
			</BodyRows>
		</Box>
	);
}

/** Under the list: the delete question, the destination switcher, or the copy, folder or passphrase field. */
function browsePrompt(view: BrowseView): ReactNode {
	const {state, dispatch, selected, theme, setMessage, verify, fileTask, startVerify, env} = view;
	if (state.mode === 'switch') return destinationSwitcher(view);
	if (state.mode === 'confirm-delete' && selected) {
		return (
			<Text color={theme.warn} bold wrap="truncate">
				Delete {terminalSafe(selected.fileName)} ({formatBytes(selected.size)})? This cannot be undone. y delete · n keep
			</Text>
		);
	}
	if (state.mode === 'copy') {
		return (
			<TextField
				label={`Copy ${selected?.fileName ?? ''} to (folder or new file path)`}
				initialValue={state.draft}
				onChange={draft => dispatch({type: 'edit', draft})}
				onSubmit={target => {
					if (!selected || target.trim() === '') return;
					const source = selected;
					const where = state.destDir;
					dispatch({type: 'close'});
					fileTask.start(async () => (isRemoteListing(source) ? `Downloaded to ${await downloadFrom(where, source.fileName, target.trim(), env)}` : `Copied to ${await copyBackup(source, target.trim())}`));
				}}
			/>
		);
	}
	if (state.mode === 'folder') {
		return (
			<TextField
				label="Backups folder (or a URL, or a destination's name)"
				initialValue={state.draft}
				onChange={draft => dispatch({type: 'edit', draft})}
				onSubmit={dir => {
					if (dir.trim() === '') return;
					setMessage(undefined);
					verify.reset();
					dispatch({type: 'folder', destDir: dir.trim()});
				}}
			/>
		);
	}
	if (state.mode === 'diff-passphrase') {
		return (
			<TextField
				label="Passphrase of the encrypted backup(s) to compare"
				initialValue={state.draft}
				mask="*"
				onChange={draft => dispatch({type: 'edit', draft})}
				onSubmit={passphrase => {
					if (passphrase === '') return;
					view.startDiff(passphrase);
				}}
			/>
		);
	}
	if (state.mode === 'passphrase') {
		return (
			<TextField
				label={`Passphrase for ${selected?.fileName ?? 'the backup'}`}
				initialValue={state.draft}
				mask="*"
				onChange={draft => dispatch({type: 'edit', draft})}
				onSubmit={passphrase => {
					if (passphrase === '') return;
					dispatch({type: 'close'});
					startVerify(passphrase);
				}}
			/>
		);
	}
	return undefined;
}

/** `s`: the backup folder, the named destinations, or another path or URL (the folder field). */
function destinationSwitcher({state, dispatch, theme, setMessage, verify, choices, namedProblem}: BrowseView): ReactNode {
	const current = choices.find(choice => !choice.other && choice.where === state.destDir);
	return (
		<Box flexDirection="column">
			<Text bold wrap="truncate">
				Switch to
			</Text>
			{namedProblem ? (
				<Text color={theme.warn} wrap="truncate">
					{namedProblem}
				</Text>
			) : undefined}
			<DestinationList
				choices={choices}
				height={switcherHeight(choices)}
				initialKey={current?.key}
				onSelect={choice => {
					if (choice.other) return dispatch({type: 'prompt', mode: 'folder', draft: state.destDir});
					setMessage(undefined);
					verify.reset();
					dispatch({type: 'folder', destDir: choice.where});
				}}
			/>
		</Box>
	);
}

/** What the keys do here, for the `?` help. */
const BROWSE_MEANINGS: Partial<Record<CommandName, string>> = {
	select: 'show the details of the highlighted backup',
	diff: 'diff: the two marked (*) backups, the older as A; one marked (or the highlighted) backup against the live store',
	back: 'back (from details to the list, from the list to Home)',
};

type Layout = {name: number; created: number; age: number; kind: number; size: number; enc: number; cats: number};

/** Column widths for the terminal: the name takes what is left; narrow terminals drop columns. */
function columnLayout(columns: number): Layout {
	const available = columns - 3;
	const layout: Layout = {name: 0, created: 16, age: 4, kind: 4, size: 7, enc: 3, cats: 3};
	if (columns < 80) layout.cats = 0;
	if (columns < 72) layout.created = 0;
	if (columns < 52) {
		layout.kind = 0;
		layout.enc = 0;
	}
	const fixed = Object.entries(layout).reduce((sum, [key, width]) => (key === 'name' || width === 0 ? sum : sum + width + 1), 0);
	layout.name = Math.max(8, available - fixed);
	return layout;
}

function cells(layout: Layout, values: Record<keyof Layout, string>): string {
	const order: Array<[keyof Layout, 'left' | 'right']> = [
		['name', 'left'],
		['created', 'left'],
		['age', 'right'],
		['kind', 'left'],
		['size', 'right'],
		['enc', 'left'],
		['cats', 'right'],
	];
	return order
		.filter(([key]) => layout[key] > 0)
		.map(([key, align]) => fit(values[key], layout[key], align))
		.join(' ');
}

function headerRow(layout: Layout): string {
	return cells(layout, {name: 'Name', created: 'Created', age: 'Age', kind: 'Kind', size: 'Size', enc: 'Enc', cats: 'Cat'});
}

function row(backup: BackupListing, layout: Layout): string {
	const summary = backup.summary;
	if (!summary) {
		// Not read yet (its row just came into view): the file's own date, and … for what its summary says.
		const unknown = backup.error ? '?' : '…';
		return cells(layout, {name: displayName(backup), created: shortDate(backup.createdAt), age: shortAge(backup.createdAt), kind: unknown, size: formatBytes(backup.size), enc: backup.encrypted ? 'yes' : '', cats: unknown});
	}
	return cells(layout, {
		name: displayName(backup),
		created: shortDate(summary.createdAt),
		age: shortAge(summary.createdAt),
		kind: summary.backupKind,
		size: formatBytes(backup.size),
		enc: backup.encrypted ? 'yes' : 'no',
		cats: String(summary.categories.length),
	});
}

/** An incremental's chain: what a restore of it reads (the full backup and every incremental after it), or the missing link. */
function ChainLine({summary, backups}: {summary: NonNullable<BackupListing['summary']>; backups: BackupListing[]}) {
	const theme = useTheme();
	const chain = listedChain(summary, backups);
	return (
		<KeyValue label="Chain">
			{chain.missing ? <Text color={theme.error}>✗ broken: the backup with id {chain.missing} is not here; restoring needs it ({chain.names.join(' → ')})</Text> : `restores ${chain.names.join(' → ')} (${chain.names.length} backups, in order)`}
		</KeyValue>
	);
}

/** The file name without the extensions the other columns already say (.zip, .tar.gz, .enc). */
function displayName(backup: BackupListing): string {
	return backup.fileName.replace(/\.enc$/, '').replace(/\.(zip|tar\.gz|tgz)$/, '');
}

export function BackupDetails({backup, columns, backups = [], summaries}: {backup: BackupListing; columns: number; backups?: BackupListing[]; summaries?: LazySummaries}) {
	const theme = useTheme();
	const summary = backup.summary;
	// An incremental's base and chain are found among the other backups: their summaries are read now.
	const needsAll = summary?.backupKind === 'incremental' && summaries !== undefined && !summaries.allRead;
	useEffect(() => {
		if (needsAll) summaries.readRows(0, backups.length);
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [needsAll]);
	const metadata = backup.metadata;
	if (!summary) {
		return (
			<Box flexDirection="column">
				<KeyValue label="File">{fitPath(backup.path, columns - 16)}</KeyValue>
				<KeyValue label="Size">{formatBytes(backup.size)}</KeyValue>
				{backup.error ? (
					<Text color={theme.error} wrap="wrap">
						✗ Cannot read this backup: {backup.error}
					</Text>
				) : (
					<Busy label="Reading its summary…" />
				)}
			</Box>
		);
	}
	const half = Math.floor((columns - 2) / 2);
	const countCell = Math.max(20, Math.min(half, 38));
	// The count column fits the widest count ("999,999,999"), the label gives way; never a count cut.
	const countWidth = Math.max(7, ...summary.categories.map(id => formatCount(summary.counts[id] ?? 0).length + 1));
	// A cell is countCell - 1 columns (two apart): label, count, then the bytes in what is left.
	const labelWidth = Math.max(3, countCell - 10 - countWidth);
	const bytesWidth = Math.max(0, countCell - 1 - labelWidth - countWidth);
	return (
		<Box flexDirection="column">
			<KeyValue label="File">{fitPath(backup.path, columns - 16)}</KeyValue>
			<KeyValue label="Created">
				{shortDate(summary.createdAt)} · {formatAge(summary.createdAt)}
			</KeyValue>
			<KeyValue label="Kind">
				{needsAll ? 'incremental' : backupKindLabel(summary, backups)} · {summary.format} · {formatBytes(backup.size)} on disk · {formatCount(summary.totalFiles)} files, {formatBytes(summary.totalBytes)} uncompressed
			</KeyValue>
			{summary.backupKind === 'incremental' ? needsAll ? <KeyValue label="Chain">reading the other backups…</KeyValue> : <ChainLine summary={summary} backups={backups} /> : undefined}
			<KeyValue label="Scope">
				{summary.tenant ? `tenant ${summary.tenant}` : `all tenants (${summary.tenants})`} · {summary.categories.length} categories
			</KeyValue>
			<KeyValue label="Encrypted">{backup.encrypted ? 'yes: full metadata and data need the passphrase' : 'no'}</KeyValue>
			{metadata ? (
				<KeyValue label="Made by">
					lifeboat {metadata.tool.version} on {metadata.source.hostname} · id {metadata.id.slice(0, 8)}
				</KeyValue>
			) : (
				<KeyValue label="Id">{summary.id}</KeyValue>
			)}
			{metadata && metadata.redacted.length > 0 ? (
				<KeyValue label="Secrets">{formatCount(metadata.redacted.reduce((sum, note) => sum + note.count, 0))} redacted: re-enter after restore</KeyValue>
			) : undefined}
			<Box marginTop={1} flexWrap="wrap" width={countCell * 2 + 2}>
				{summary.categories.map(id => {
					const full = metadata?.counts[id];
					const label = isCategoryId(id) ? categorySpec(id).label : id;
					const count = summary.counts[id] ?? 0;
					const extra = full && full.files > 0 ? ` ${formatBytes(full.bytes)}` : '';
					return (
						<Box key={id} width={countCell + 1}>
							<Text wrap="truncate">
								<Text dimColor>{fit(label, labelWidth)}</Text>
								{fit(formatCount(count), countWidth, 'right')}
								<Text dimColor>{fit(extra, bytesWidth, 'right')}</Text>
							</Text>
						</Box>
					);
				})}
			</Box>
		</Box>
	);
}
