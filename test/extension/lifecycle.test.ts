/**
 * The host's lifecycle with the mocked `vscode` module: re-runs over a finished report
 * (cancelled, failed), failures of webview actions, error codes, reports stored as files with
 * a bounded index, temporary copies of virtual files, and the log channel's levels.
 */
import './setup';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fork, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { extensionContext, mock, MockMemento, Uri, FileSystemError, type CancellationTokenSource } from './vscodeMock';
import { activate } from '../../src/extension/extension';
import { lastShown, reportPanel } from './panels';
import type { CommandDeps } from '../../src/extension/commands';
import type { ViewState } from '../../src/shared/protocol';
import type { Report } from '../../src/shared/report';
import { WorkerClient, WorkerError } from '../../src/extension/workerClient';
import { AnalysisService } from '../../src/extension/analysisService';
import { toWire } from '../../src/extension/failures';
import { INDEX_KEY, LEGACY_KEY, MAX_REPORTS, ReportStore } from '../../src/extension/reportStore';
import { LocalFiles } from '../../src/extension/localFiles';
import { Log, workerLineLevel } from '../../src/extension/log';
import { makeSamples } from '../webview/sampleReports';

/** A real engine report (a small in-memory model; no worker needed). */
async function sampleReport(): Promise<Report> {
  return (await makeSamples()).find((sample) => sample.report)!.report!;
}

const ROOT = join(__dirname, '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'multi-index');

let workspace: string;
let storage: string;
let workspaceState: MockMemento;
let deps: CommandDeps;
let subscriptions: { dispose(): unknown }[] = [];
const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

function activateHost(): void {
  subscriptions = [];
  workspaceState = new MockMemento();
  deps = activate(extensionContext(ROOT, storage, subscriptions, workspaceState)).deps;
}

function deactivateHost(): void {
  for (const item of subscriptions) item.dispose();
  subscriptions = [];
}

/** An AnalysisService on the misbehaving fixture worker, sharing the real host's panels and store. */
function fixtureService(modelPath: 'hang' | 'exit'): { service: AnalysisService; worker: WorkerClient } {
  const worker = new WorkerClient(
    () => fork(join(__dirname, 'fixtures', 'misbehavingWorker.cjs'), [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }),
    () => ({ memoryLimitMb: 256 }), () => undefined, 200);
  const models = { setStatus() {} } as unknown as ConstructorParameters<typeof AnalysisService>[4];
  const service = new AnalysisService(worker, deps.associations, deps.store, deps.panels, models, deps.log);
  const original = service.buildRequest.bind(service);
  service.buildRequest = async (model, association, files) => ({ ...(await original(model, association, files)), modelPath });
  return { service, worker };
}

function reportState(state: ViewState): Extract<ViewState, { kind: 'report' }> {
  assert.equal(state.kind, 'report');
  return state as Extract<ViewState, { kind: 'report' }>;
}

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('extension lifecycle (mocked vscode)', () => {
  before(() => {
    const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--only=worker'], { encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
  });

  beforeEach(() => {
    mock.reset();
    unhandled.length = 0;
    workspace = mkdtempSync(join(tmpdir(), 'flatness-ws-'));
    storage = mkdtempSync(join(tmpdir(), 'flatness-storage-'));
    for (const file of readdirSync(EXAMPLE, { withFileTypes: true })) if (file.isFile()) copyFileSync(join(EXAMPLE, file.name), join(workspace, file.name));
    mock.workspaceRoot = workspace;
    mock.workspaceFiles = readdirSync(workspace).map((file) => Uri.file(join(workspace, file)));
    activateHost();
  });

  afterEach(() => deactivateHost());

  it('a cancelled re-run keeps the previous report with a notice; a failed one shows its error above it', async () => {
    const model = Uri.file(join(workspace, 'generalizing.safetensors'));
    await mock.commands.get('flatnessLens.analyzeModel')!(model);
    const panel = reportPanel();
    const first = reportState(lastShown(panel));
    assert.equal(first.rerun, undefined);

    // Cancel from the notification while the re-run hangs.
    const hanging = fixtureService('hang');
    let source: CancellationTokenSource | undefined;
    mock.onProgress = (s) => {
      source = s;
    };
    const rerun = hanging.service.analyze(model as never);
    await until(() => source !== undefined && hanging.service.isRunning);
    const during = reportState(lastShown(panel));
    assert.equal(during.rerun?.status, 'running', 'the previous report stays visible under a progress strip');
    assert.equal(during.report.verdict.headline, first.report.verdict.headline);
    assert.equal(mock.panels.filter((p) => !p.disposed).length, 1, 'no second panel for the re-run');
    source!.cancel();
    assert.equal((await rerun).error?.code, 'cancelled');
    const cancelled = reportState(lastShown(panel));
    assert.equal(cancelled.rerun?.status, 'cancelled');
    assert.deepEqual(cancelled.report, first.report, 'the previous report is kept as it was');
    assert.ok(!mock.messages.some((m) => m.level === 'error'), 'a cancelled re-run is not an error');
    assert.ok(mock.messages.some((m) => m.level === 'info' && /cancelled/.test(m.text)));
    hanging.worker.dispose();
    hanging.service.dispose();

    // A re-run whose worker dies: the error goes above the last good report.
    const crashing = fixtureService('exit');
    const failed = await crashing.service.analyze(model as never);
    assert.equal(failed.error?.code, 'worker-crashed');
    const shown = reportState(lastShown(panel));
    assert.equal(shown.rerun?.status, 'failed');
    assert.equal(shown.rerun?.status === 'failed' && shown.rerun.error.code, 'worker-crashed');
    assert.deepEqual(shown.report, first.report, 'the last good report stays readable');
    assert.ok(mock.messages.some((m) => m.level === 'error'));
    assert.ok(mock.log.some((line) => line.level === 'error' && /failed \(worker-crashed\)/.test(line.text)));
    crashing.worker.dispose();
    crashing.service.dispose();

    // Dismissing the notice removes it for good (a hidden panel shown again gets the state without it).
    panel.webview.fromWebview({ type: 'dismissRerun' });
    panel.webview.fromWebview({ type: 'ready' });
    assert.equal(reportState(lastShown(panel)).rerun, undefined);
    assert.deepEqual(unhandled, []);
  });

  it('a failing action from a webview button is reported to the user, never an unhandled rejection', async () => {
    await mock.commands.get('flatnessLens.analyzeModel')!(Uri.file(join(workspace, 'generalizing.safetensors')));
    const panel = reportPanel();
    // The export target is "inside" a file: writing it fails in the file system.
    mock.saveDialog = () => Uri.file(join(workspace, 'train.npz', 'report.json'));
    panel.webview.fromWebview({ type: 'export', format: 'json' });
    await until(() => mock.messages.some((m) => m.level === 'error'));
    const message = mock.messages.find((m) => m.level === 'error')!.text;
    assert.match(message, /could not export the report as JSON/);
    assert.ok(mock.log.some((line) => line.level === 'error' && /could not export the report as JSON/.test(line.text)));

    // An action whose command fails (here: no such command in the mock) reports too.
    mock.messages.length = 0;
    panel.webview.fromWebview({ type: 'openFile', uri: 'file:///nowhere/file.txt' });
    await until(() => mock.messages.some((m) => m.level === 'error'));
    assert.ok(mock.messages.some((m) => /could not open the file/.test(m.text)), JSON.stringify(mock.messages));
    assert.deepEqual(unhandled, []);
  });

  it('labels host bugs internal, unreadable user files bad-input, and keeps worker codes', () => {
    assert.equal(toWire(new TypeError('x is undefined')).code, 'internal');
    assert.equal(toWire('a string').code, 'internal');
    assert.equal(toWire(new FileSystemError('file not found: a.npz')).code, 'bad-input');
    assert.deepEqual(toWire(new WorkerError({ code: 'too-large', message: 'm' })), { code: 'too-large', message: 'm' });
  });

  it('stores each report as a file under the storage folder and only an index in workspace state', async () => {
    const model = Uri.file(join(workspace, 'generalizing.safetensors'));
    await mock.commands.get('flatnessLens.analyzeModel')!(model);
    const [entry] = deps.store.list();
    assert.ok(entry);
    const index = workspaceState.get<unknown[]>(INDEX_KEY)!;
    assert.equal(index.length, 1);
    assert.ok(!('report' in (index[0] as object)), 'the memento holds no report');
    assert.ok(JSON.stringify(index).length < 2000, `the index entry is small (${JSON.stringify(index).length} bytes)`);
    const file = join(storage, 'workspace', 'reports', entry.file);
    assert.ok(existsSync(file), 'the report is a file in storageUri/reports');
    const shown = reportState(lastShown(reportPanel()));

    // Opening it from the Reports view reads the file.
    reportPanel().dispose();
    await mock.commands.get('flatnessLens.openStoredReport')!(entry.id);
    reportPanel().webview.fromWebview({ type: 'ready' });
    assert.deepEqual(reportState(lastShown(reportPanel())).report, shown.report);
    assert.ok(mock.log.some((line) => line.level === 'info' && /^backend: (onnxruntime|wasm|cpu|tensorflow)/.test(line.text)), 'the log names the backend');
    const fallbacks = mock.log.filter((line) => line.level === 'warn' && line.text.startsWith('backend fallback: '));
    assert.equal(fallbacks.length, shown.report.backend.fallbacks.length, 'each fallback is logged at warning level');
  });

  it('bounds the stored reports: the oldest go, with their files; a missing file drops its entry', async () => {
    const memento = new MockMemento();
    const folder = Uri.file(join(storage, 'bounded'));
    const store = new ReportStore(memento as never, folder as never);
    const report = await sampleReport();
    const context = { modelUri: 'file:///m.safetensors', modelLabel: 'm.safetensors', dataLabel: 'd.npz', dataSource: 'picked' as const };
    const added = [];
    for (let i = 0; i < MAX_REPORTS + 3; i++) added.push(await store.add({ ...report, createdAt: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z` }, context));
    const listed = store.list();
    assert.equal(listed.length, MAX_REPORTS);
    assert.equal(listed[0]!.id, added.at(-1)!.id, 'newest first');
    assert.deepEqual(readdirSync(join(storage, 'bounded', 'reports')).sort(), listed.map((e) => e.file).sort(), 'one file per listed report, no leftovers');
    for (const dropped of added.slice(0, 3)) assert.ok(!store.get(dropped.id));

    const victim = listed[5]!;
    writeFileSync(join(storage, 'bounded', 'reports', victim.file), '{ truncated');
    const loaded = await store.load(victim.id);
    assert.match(loaded.error ?? '', /could not be read/);
    assert.ok(!store.get(victim.id), 'an unreadable report leaves the list');
    const good = await store.load(listed[0]!.id);
    assert.equal(good.report?.verdict.headline, report.verdict.headline);

    await store.clear();
    assert.deepEqual(readdirSync(join(storage, 'bounded', 'reports')), []);
  });

  it('moves reports an earlier version kept whole in workspace state into files', async () => {
    const memento = new MockMemento();
    const report = await sampleReport();
    const context = { modelUri: 'file:///m.safetensors', modelLabel: 'm.safetensors', dataLabel: 'd.npz', dataSource: 'picked' as const };
    await memento.update(LEGACY_KEY, [{ id: 'abc-1', context, createdAt: report.createdAt, level: report.verdict.level, headline: report.verdict.headline, ratio: 1, report }]);
    const store = new ReportStore(memento as never, Uri.file(join(storage, 'legacy')) as never);
    assert.equal(await store.migrate(), 1);
    assert.equal(memento.get(LEGACY_KEY), undefined);
    assert.equal(store.list().length, 1);
    assert.equal((await store.load('abc-1')).report?.verdict.headline, report.verdict.headline);
    assert.equal(await store.migrate(), 0, 'once');
  });

  it('copies files of virtual file systems to a temporary folder and removes it when the analysis ends', async () => {
    // A virtual file system (the mock's workspace.fs reads any scheme from disk).
    const virtual = (file: string): Uri => Uri.parse(`vscode-vfs://github${join(workspace, file)}`);
    const outcome = await deps.analysis.analyze(virtual('generalizing.safetensors') as never, {
      association: { trainingData: virtual('train.npz') as never, source: 'picked' },
    });
    assert.ok(outcome.report, JSON.stringify(outcome.error));
    const copied = outcome.report.model.path;
    assert.ok(!copied.startsWith(workspace), `the worker read a temporary copy (${copied})`);
    assert.equal(dirname(outcome.report.data.path), dirname(copied), 'one folder per analysis');
    assert.ok(!existsSync(dirname(copied)), 'the temporary folder is gone after the analysis');

    // Also when the analysis fails.
    const failing = await deps.analysis.analyze(virtual('generalizing.safetensors') as never, {
      association: { trainingData: virtual('generalizing.safetensors') as never, source: 'picked' },
    });
    assert.ok(failing.error);
    const files = new LocalFiles();
    const a = await files.pathOf(virtual('train.npz') as never);
    const b = await files.pathOf(Uri.parse(`vscode-vfs://github${join(workspace, 'sub', 'train.npz')}`) as never).catch(() => 'missing');
    assert.equal(b, 'missing');
    const c = await files.pathOf(virtual('train.npz') as never);
    assert.notEqual(a, c, 'two files of one name do not overwrite each other');
    assert.equal(await files.pathOf(Uri.file(join(workspace, 'test.npz')) as never), join(workspace, 'test.npz'), 'files on disk are used in place');
    await files.dispose();
    assert.ok(!existsSync(dirname(a)));
  });

  it('writes to a LogOutputChannel at the levels of the worker and the host', () => {
    assert.equal(workerLineLevel('[worker warn] ignored a malformed message'), 'warn');
    assert.equal(workerLineLevel('[worker error] something'), 'error');
    assert.equal(workerLineLevel('[worker info] loaded'), 'info');
    assert.equal(workerLineLevel('[worker stderr] (node:1) Warning'), 'warn');
    assert.equal(workerLineLevel('[host] started analysis worker 1 (pid 3)'), 'info');
    const log = new Log();
    log.worker('[worker info] loaded', 'error');
    log.worker('[worker warn] slow');
    assert.deepEqual(mock.log.slice(-2), [{ level: 'error', text: '[worker info] loaded' }, { level: 'warn', text: '[worker warn] slow' }]);
    log.dispose();
  });
});

