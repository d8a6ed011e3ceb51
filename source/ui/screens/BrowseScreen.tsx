import {Box, Text} from 'ink';
import {useEffect, useMemo, useReducer, useState, type ReactNode} from 'react';
import {listBackups, type BackupListing} from '../../core/backup/list-backups.js';
import {formatAge, formatBytes, formatCount} from '../../core/format.js';
import {categorySpec, isCategoryId} from '../../core/store/schema.js';
import {copyBackup, deleteBackup} from '../backup-actions.js';
import {Busy} from '../components/Busy.js';
import {BodyRows, Frame} from '../components/Frame.js';
import {KeyValue} from '../components/KeyValue.js';
import {SelectList, type ListItem} from '../components/SelectList.js';
import {errorStatus, type Status} from '../components/StatusLine.js';
import {TextField} from '../components/TextField.js';
import {useConsole} from '../console-context.js';
import {useAsync} from '../hooks/use-async.js';
import {useTask} from '../hooks/use-task.js';
import {useTerminalSize} from '../hooks/use-terminal-size.js';
import {useVerify} from '../hooks/use-verify.js';
import {useCommands, type CommandName} from '../keys.js';
import {browseReducer, initialBrowseState, isTextPrompt, shortAge} from '../state/browse.js';
import {fit, fitPath, shortDate} from '../text-fit.js';
import {useTheme} from '../theme.js';
import {VerifyPanel, verifyPanelRows} from './VerifyPanel.js';

/** Backups in a folder: a windowed list, details, verify, restore, delete, copy. */
export function BrowseScreen({destDir}: {destDir?: string | undefined}) {
	const {gateway, nav} = useConsole();
	const {columns} = useTerminalSize();
	const [state, dispatch] = useReducer(browseReducer, destDir ?? gateway.backupDir, initialBrowseState);
	const [revision, setRevision] = useState(0);
	const listing = useAsync(() => listBackups(state.destDir), [state.destDir, revision]);
	const [current, setCurrent] = useState<BackupListing | undefined>(undefined);
	const [message, setMessage] = useState<Status | undefined>(undefined);
	const verify = useVerify();
	const fileTask = useTask<string>();

	const backups = listing.status === 'done' ? listing.value : [];
	const items = useMemo(() => backups.map(backup => ({key: backup.path, label: backup.fileName, value: backup})), [backups]);

	useEffect(() => {
		if (fileTask.state.status === 'done') {
			setMessage({kind: 'ok', text: fileTask.state.result});
			setRevision(value => value + 1);
		}
		if (fileTask.state.status === 'error') setMessage(errorStatus(fileTask.state.error, 'try another path, or Esc'));
	}, [fileTask.state]);

	const selected = current && backups.includes(current) ? current : backups[0];
	const textEntry = isTextPrompt(state.mode);
	const busy = fileTask.state.status === 'running';

	const startVerify = (passphrase?: string) => {
		if (!selected) return;
		setMessage(undefined);
		verify.start(selected.path, passphrase);
	};
	const actions: Partial<Record<CommandName, () => void>> = {
		verify: () => {
			if (!selected) return;
			if (selected.encrypted) dispatch({type: 'prompt', mode: 'passphrase'});
			else startVerify();
		},
		restore: () => {
			if (!selected) return;
			nav.restore({path: selected.path, encrypted: selected.encrypted});
		},
		delete: () => selected && dispatch({type: 'prompt', mode: 'confirm-delete'}),
		copy: () => selected && dispatch({type: 'prompt', mode: 'copy', draft: process.cwd()}),
	};
	const handlers: Partial<Record<CommandName, () => void>> = {};
	if (state.mode === 'list') Object.assign(handlers, actions, {folder: () => dispatch({type: 'prompt', mode: 'folder', draft: state.destDir}), back: nav.home});
	if (state.mode === 'details') Object.assign(handlers, actions, {back: () => dispatch({type: 'close'})});
	if (state.mode === 'confirm-delete') {
		handlers.yes = () => {
			const target = selected;
			dispatch({type: 'deleted'});
			if (!target) return;
			verify.reset();
			fileTask.start(async () => {
				await deleteBackup(target);
				return `Deleted ${target.fileName}`;
			});
		};
		handlers.no = () => dispatch({type: 'close'});
	}
	if (textEntry) handlers.back = () => dispatch({type: 'close'});
	useCommands(busy ? {} : handlers, {textEntry});

	const theme = useTheme();
	const layout = columnLayout(columns);

	let status: Status | undefined = message;
	if (listing.status === 'error') status = errorStatus(listing.error, 'f to pick another folder, Esc to go back');
	// Beside the list: its header row, a prompt under it, the busy line, the verify panel.
	const besideList = 1 + (textEntry ? 4 : state.mode === 'confirm-delete' ? 2 : 0) + (busy ? 1 : 0) + verifyPanelRows(verify.state);

	let body: ReactNode;
	if (listing.status === 'loading') body = <Busy label={`Reading ${state.destDir}…`} />;
	else if (state.mode === 'details' && selected) body = <BackupDetails backup={selected} columns={columns} />;
	else if (backups.length === 0 && listing.status === 'done') body = <Text>No backups in {state.destDir} yet. Create one from Home, or press f to look in another folder.</Text>;
	else
		body = (
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
					initialIndex={selected ? Math.max(0, backups.indexOf(selected)) : 0}
					onHighlight={item => {
						if (item.value !== current) {
							setCurrent(item.value);
							verify.reset();
						}
					}}
					onSelect={() => dispatch({type: 'details'})}
					renderRow={(item, isCursor) => (
						<Text color={item.value.error ? theme.error : isCursor ? theme.selected : undefined} bold={isCursor} inverse={isCursor && !theme.color} wrap="truncate">
							{isCursor ? '› ' : '  '}
							{row(item.value, layout)}
						</Text>
					)}
				/>
					)}
				</BodyRows>
			</Box>
		);

	let prompt: ReactNode;
	if (state.mode === 'confirm-delete' && selected) {
		prompt = (
			<Text color={theme.warn} bold wrap="truncate">
				Delete {selected.fileName} ({formatBytes(selected.size)})? This cannot be undone. y delete · n keep
			</Text>
		);
	} else if (state.mode === 'copy') {
		prompt = (
			<TextField
				label={`Copy ${selected?.fileName ?? ''} to (folder or new file path)`}
				initialValue={state.draft}
				onChange={draft => dispatch({type: 'edit', draft})}
				onSubmit={target => {
					if (!selected || target.trim() === '') return;
					const source = selected;
					dispatch({type: 'close'});
					fileTask.start(async () => `Copied to ${await copyBackup(source, target.trim())}`);
				}}
			/>
		);
	} else if (state.mode === 'folder') {
		prompt = (
			<TextField
				label="Backups folder"
				initialValue={state.draft}
				onChange={draft => dispatch({type: 'edit', draft})}
				onSubmit={dir => {
					if (dir.trim() === '') return;
					setMessage(undefined);
					setCurrent(undefined);
					dispatch({type: 'folder', destDir: dir.trim()});
				}}
			/>
		);
	} else if (state.mode === 'passphrase') {
		prompt = (
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

	const commands: CommandName[] =
		state.mode === 'list'
			? ['up', 'down', 'select', 'verify', 'restore', 'delete', 'copy', 'folder', 'back']
			: state.mode === 'details'
				? ['verify', 'restore', 'delete', 'copy', 'back']
				: state.mode === 'confirm-delete'
					? ['yes', 'no']
					: ['select', 'back'];
	const count = listing.status === 'done' ? ` · ${formatCount(backups.length)} backup${backups.length === 1 ? '' : 's'}` : '';
	return (
		<Frame title={`Browse · ${fitPath(state.destDir, Math.max(10, columns - 40))}${count}`} commands={commands} status={status} textEntry={textEntry} meanings={BROWSE_MEANINGS}>
			{body}
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

/** What the keys do here, for the `?` help. */
const BROWSE_MEANINGS: Partial<Record<CommandName, string>> = {
	select: 'show the details of the highlighted backup',
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
		return cells(layout, {name: displayName(backup), created: shortDate(backup.createdAt), age: shortAge(backup.createdAt), kind: '?', size: formatBytes(backup.size), enc: backup.encrypted ? 'yes' : '', cats: '?'});
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

/** The file name without the extensions the other columns already say (.zip, .tar.gz, .enc). */
function displayName(backup: BackupListing): string {
	return backup.fileName.replace(/\.enc$/, '').replace(/\.(zip|tar\.gz|tgz)$/, '');
}

function BackupDetails({backup, columns}: {backup: BackupListing; columns: number}) {
	const theme = useTheme();
	const summary = backup.summary;
	const metadata = backup.metadata;
	if (!summary) {
		return (
			<Box flexDirection="column">
				<KeyValue label="File">{fitPath(backup.path, columns - 16)}</KeyValue>
				<KeyValue label="Size">{formatBytes(backup.size)}</KeyValue>
				<Text color={theme.error} wrap="truncate">
					✗ Cannot read this backup: {backup.error ?? 'unknown problem'}
				</Text>
			</Box>
		);
	}
	const half = Math.floor((columns - 2) / 2);
	const countCell = Math.max(20, Math.min(half, 38));
	return (
		<Box flexDirection="column">
			<KeyValue label="File">{fitPath(backup.path, columns - 16)}</KeyValue>
			<KeyValue label="Created">
				{shortDate(summary.createdAt)} · {formatAge(summary.createdAt)}
			</KeyValue>
			<KeyValue label="Kind">
				{summary.backupKind} · {summary.format} · {formatBytes(backup.size)} on disk · {formatCount(summary.totalFiles)} files, {formatBytes(summary.totalBytes)} uncompressed
			</KeyValue>
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
								<Text dimColor>{fit(label, countCell - 17)}</Text>
								{fit(formatCount(count), 7, 'right')}
								<Text dimColor>{fit(extra, 9, 'right')}</Text>
							</Text>
						</Box>
					);
				})}
			</Box>
		</Box>
	);
}
