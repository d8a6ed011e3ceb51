import {Box} from 'ink';
import {Text} from '../components/Text.js';
import {useMemo, useState, type ReactNode} from 'react';
import type {BackupListing} from '../../core/backup/list-backups.js';
import {formatAge, formatBytes, formatCount} from '../../core/format.js';
import {categorySpec, type CategoryId} from '../../core/store/schema.js';
import {Busy} from '../components/Busy.js';
import {BodyRows, Frame} from '../components/Frame.js';
import {KeyValue} from '../components/KeyValue.js';
import {SelectList, type ListItem} from '../components/SelectList.js';
import {errorStatus, type Status} from '../components/StatusLine.js';
import {TextField} from '../components/TextField.js';
import {useConsole, type Navigation} from '../console-context.js';
import {latestBackup, readGatewaySummary, type GatewaySummary} from '../gateway-summary.js';
import {useAsync, type AsyncState} from '../hooks/use-async.js';
import {useTerminalSize} from '../hooks/use-terminal-size.js';
import {useCommands} from '../keys.js';
import {BARE_HOST_WAY_OUT, bareHostNote, DATA_DIR_WAY_OUT, gatewayProblem, resolveTypedDir, withoutCliHint, type GatewayChoice} from '../prepare-gateway.js';
import {fit, lineWithPath} from '../text-fit.js';

type MenuAction = 'create' | 'browse' | 'restore' | 'quarantine' | 'data-dir' | 'drill' | 'schedules' | 'quit';

/**
 * The gateway at a glance, the last backup, and the menu. `blocked`: an action that needs a
 * gateway was refused (App checks), and why.
 */
export function HomeScreen({revision, blocked}: {revision: number; blocked?: string | undefined}) {
	const {gateway, nav, env} = useConsole();
	const {columns} = useTerminalSize();
	const summary = useAsync(() => readGatewaySummary(gateway.dataDir), [gateway.dataDir, revision]);
	const last = useAsync(() => latestBackup(gateway.backupDir, env), [gateway.backupDir, env, revision]);
	const editor = useDataDirEditor(nav.changeDataDir);
	const {editing} = editor;
	// The menu's cursor, kept while the field replaces the menu.
	const [menuIndex, setMenuIndex] = useState(0);
	useCommands(editing ? {back: editor.close} : {drill: nav.drill, schedules: nav.schedules, quit: nav.quit}, {textEntry: editing});

	// An absent or empty data dir (a rebuilt host): Restore builds the gateway there. Read with the counts.
	const bareHost = useMemo(() => bareHostNote(gateway.dataDir), [gateway.dataDir, revision]);
	// Without a usable gateway only Browse (backups need no gateway) goes anywhere: say so up front.
	const noGateway = summary.status === 'error' || bareHost !== undefined;
	const menu = homeMenu(noGateway, bareHost !== undefined);
	const onSelect = (item: ListItem<MenuAction>) => menuActions(nav, editor.open)[item.value]();
	return (
		<Frame
			title={editing ? 'Home · Change data dir' : 'Home'}
			commands={editing ? ['select', 'back'] : ['up', 'down', 'select', 'drill', 'schedules', 'quit']}
			status={homeStatus(editing, editor.error, blocked, summary, bareHost)}
			textEntry={editing}
			meanings={editing ? undefined : {select: 'open the highlighted item'}}
		>
			{gatewayFacts(gateway, summary, last, bareHost !== undefined, columns)}
			{editing ? (
				<Box marginTop={1}>
					<TextField
						label="Gateway data directory (the folder holding data/gateway.db)"
						initialValue={gateway.dataDir}
						hint="Enter opens it if it is a gateway · Esc keeps the current one"
						onChange={editor.clearError}
						onSubmit={editor.submit}
					/>
				</Box>
			) : (
				<Box marginTop={1}>
					{/* Wider without a gateway (no counts beside it), so "needs a gateway" shows whole. */}
					<Box width={noGateway ? Math.min(columns, 34) : 20} flexShrink={0} flexDirection="column">
						{/* The rows below the four facts and their margin: a short window pages the menu, so its cursor stays in view. */}
						<BodyRows reserve={5} min={3}>
							{rows => <SelectList items={menu} height={Math.min(menu.length, rows)} initialIndex={menuIndex} onHighlight={(_item, index) => setMenuIndex(index)} onSelect={onSelect} />}
						</BodyRows>
					</Box>
					{columns >= 50 && !bareHost ? <CategoryCounts summary={summary} columns={columns} /> : undefined}
				</Box>
			)}
		</Frame>
	);
}

/** The menu; without a gateway the items that need one say so (Restore builds one on a bare host). */
function homeMenu(noGateway: boolean, bareHost: boolean): Array<ListItem<MenuAction>> {
	const needsGateway = noGateway ? 'needs a gateway' : undefined;
	return [
		{key: 'create', label: 'Create backup', value: 'create', hint: needsGateway},
		{key: 'browse', label: 'Browse backups', value: 'browse'},
		{key: 'restore', label: 'Restore', value: 'restore', hint: bareHost ? 'rebuilds it here' : needsGateway},
		{key: 'quarantine', label: 'Quarantine', value: 'quarantine', hint: needsGateway},
		{key: 'data-dir', label: 'Change data dir', value: 'data-dir'},
		// Last but Quit, so the rows above keep their places; `d` opens it from anywhere on Home.
		{key: 'drill', label: 'DR drill', value: 'drill'},
		// After the drill, so every row above keeps its place; `s` opens it from anywhere on Home.
		{key: 'schedules', label: 'Schedules', value: 'schedules'},
		{key: 'quit', label: 'Quit', value: 'quit'},
	];
}

function menuActions(nav: Navigation, editDataDir: () => void): Record<MenuAction, () => void> {
	return {
		create: nav.create,
		browse: () => nav.browse(),
		restore: () => nav.restore(),
		quarantine: nav.quarantine,
		'data-dir': editDataDir,
		drill: nav.drill,
		schedules: nav.schedules,
		quit: nav.quit,
	};
}

function homeStatus(editing: boolean, editorError: string | undefined, blocked: string | undefined, summary: AsyncState<GatewaySummary>, bareHost: string | undefined): Status | undefined {
	if (editing && editorError) return errorStatus(editorError, 'type another path, or Esc to keep the current one');
	if (!editing && blocked) return errorStatus(blocked, bareHost ? BARE_HOST_WAY_OUT : DATA_DIR_WAY_OUT);
	if (!editing && bareHost) return {kind: 'warn', text: bareHost, next: BARE_HOST_WAY_OUT};
	if (!editing && summary.status === 'error') return errorStatus(withoutCliHint(summary.error), DATA_DIR_WAY_OUT);
	return undefined;
}

/** The four lines above the menu: the gateway, its tenants and size, the last backup. */
function gatewayFacts(gateway: GatewayChoice, summary: AsyncState<GatewaySummary>, last: AsyncState<BackupListing | undefined>, bareHost: boolean, columns: number): ReactNode {
	const noGateway = summary.status === 'error' || bareHost;
	return (
		<>
			{/* Paths cut at their start: the end names the folder. */}
			<KeyValue label="Gateway">{lineWithPath('', gateway.dataDir, gateway.isDemo ? ' (demo)' : bareHost ? ' (no gateway yet)' : '', columns - 14)}</KeyValue>
			<KeyValue label="Tenants">
				{summary.status === 'done'
					? `${summary.value.tenants.length} · ${summary.value.tenants.map(tenant => tenant.slug).join(', ')}`
					: noGateway
						? '—'
						: '…'}
			</KeyValue>
			<KeyValue label="Size on disk">{summary.status === 'done' ? formatBytes(summary.value.totalBytes) : noGateway ? '—' : '…'}</KeyValue>
			<KeyValue label="Last backup">
				{last.status === 'loading'
					? '…'
					: last.status === 'error'
						? lineWithPath('cannot read ', gateway.backupDir, '', columns - 14)
						: last.value
							? `${last.value.summary?.name ?? last.value.fileName} · ${formatAge(last.value.createdAt)}`
							: lineWithPath('none yet in ', gateway.backupDir, '', columns - 14)}
			</KeyValue>
		</>
	);
}

/** Change data dir: open/close the field, and a typed folder checked before the console uses it. */
function useDataDirEditor(changeDataDir: (dataDir: string) => void) {
	const [editing, setEditing] = useState(false);
	// Stays until the next keystroke or try.
	const [error, setError] = useState<string | undefined>();
	const close = () => {
		setEditing(false);
		setError(undefined);
	};
	const submit = (typed: string) => {
		if (typed.trim() === '') {
			setError("Type the path of the gateway's data directory");
			return;
		}
		const dataDir = resolveTypedDir(typed);
		const problem = gatewayProblem(dataDir);
		if (problem) {
			setError(problem);
			return;
		}
		close();
		changeDataDir(dataDir);
	};
	return {editing, error, open: () => setEditing(true), close, clearError: () => setError(undefined), submit};
}

/**
 * Entries per category beside the menu, cut to the body's rows left under the four lines above (the
 * menu's rows, no more: on a short terminal the menu pages in them, and its page line stays in view).
 */
export function CategoryCounts({summary, columns}: {summary: AsyncState<GatewaySummary>; columns: number}) {
	const twoColumns = columns >= 70;
	const cellWidth = Math.min(34, twoColumns ? Math.floor((columns - 20) / 2) : columns - 20);
	return (
		<Box flexDirection="column" flexShrink={1}>
			{summary.status === 'loading' ? <Busy label="Counting…" /> : undefined}
			{summary.status === 'done' ? (
				<BodyRows reserve={5} min={3}>
					{height => <Counts counts={summary.value.counts} cellWidth={cellWidth} perRow={twoColumns ? 2 : 1} height={height} />}
				</BodyRows>
			) : undefined}
		</Box>
	);
}

/** Entries per category, in one or two columns, cut to `height` rows with a "+N more" line. */
function Counts({counts, cellWidth, perRow, height}: {counts: ReadonlyArray<{category: CategoryId; count: number}>; cellWidth: number; perRow: number; height: number}) {
	const rowsNeeded = Math.ceil(counts.length / perRow);
	// The count column fits the widest count ("999,999,999"), the label gives way; never a count cut.
	const countWidth = Math.max(8, ...counts.map(count => formatCount(count.count).length + 1));
	const shown = rowsNeeded <= height ? counts : counts.slice(0, Math.max(0, height - 1) * perRow);
	return (
		<Box flexDirection="column">
			<Box flexWrap="wrap" width={cellWidth * perRow}>
				{shown.map(count => (
					<Box key={count.category} width={cellWidth} height={1}>
						<Text wrap="truncate">
							<Text dimColor>{fit(categorySpec(count.category).label, Math.max(4, cellWidth - 2 - countWidth))}</Text>
							{fit(formatCount(count.count), countWidth, 'right')}
						</Text>
					</Box>
				))}
			</Box>
			{shown.length < counts.length ? (
				<Text dimColor wrap="truncate">
					+{counts.length - shown.length} more categories: enlarge the terminal
				</Text>
			) : undefined}
		</Box>
	);
}
